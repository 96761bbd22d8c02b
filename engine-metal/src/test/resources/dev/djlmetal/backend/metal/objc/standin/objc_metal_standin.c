// A stand-in for the Objective-C runtime, Foundation and Metal on Linux x86_64, built by the tests
// with the system compiler so that the project's JNA device layer (dev.djlmetal.backend.metal.objc)
// runs end to end in CI. It is test infrastructure, never shipped.
//
// What it reproduces, and how faithfully:
//
// - objc_msgSend is a trampoline like Apple's: it saves the argument registers, looks the method
//   up from the receiver and the selector, restores the registers and jumps to the method with the
//   caller's stack untouched. Every method is a C function with Apple's exact prototype (id, SEL,
//   then the documented argument types, MTLSize by value), so an argument the Java side passes with
//   the wrong type or size arrives as garbage, exactly as on a Mac, and the checks below catch it.
// - Objects are reference counted (retain, release, autorelease, new/alloc = +1, other getters
//   +0). Deallocated objects stay as zombies: any later message is fatal, as with NSZombies.
//   Autorelease pools are per thread; popping an unknown pool is fatal, popping out of order and
//   autoreleasing with no pool in place are reported. Every message sent outside a pool is
//   reported too: the device layer promises to wrap every call that may autorelease.
// - Metal's assertions abort the process: an encoder released without endEncoding (the assertion
//   text is Metal's), committing with an encoder still open, a second encoder on one command
//   buffer, waiting on an uncommitted buffer, arguments out of range (buffer index, setBytes over
//   4 KB, zero or oversized grids, invalid resource options), unrecognized selectors, messages to
//   non-objects. By default a fatal error prints the message and calls abort(), as Metal does; a
//   test may switch to recording the first fatal error instead, to observe it in-process.
// - MTLCreateSystemDefaultDevice returns nil unless a library named CoreGraphics has been loaded
//   into the process, modelling Apple's note for command-line tools.
// - newLibraryWithSource:options:error: hands the MSL text to a compile callback the test installs
//   (the project's CPU emulator, see EmulatorBuild) and records the math mode the options chose
//   (fast unless options say otherwise: Metal's default). Committed command buffers run every
//   dispatch through the emulator's exported kernels; a fault there (an out-of-bounds access, an
//   unbound buffer) ends the command buffer in MTLCommandBufferStatusError with the message.
//
// What it does not reproduce: the GPU itself (timing, concurrency between command buffers,
// Apple's shader compiler), the arm64 calling convention (this machine is x86_64, where variadic
// and fixed-argument calls pass arguments alike), and every Metal API not used by the project.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(__x86_64__) || !defined(__linux__)
#error "the stand-in's objc_msgSend trampoline is written for Linux on x86_64"
#endif

#define EXPORT __attribute__((visibility("default")))

typedef struct object* id;
typedef const char* SEL;
typedef signed char BOOL;  // BOOL on x86_64 Apple platforms
typedef unsigned long NSUInteger;
typedef long NSInteger;
typedef void (*IMP)(void);

typedef struct {
    NSUInteger width;
    NSUInteger height;
    NSUInteger depth;
} MTLSize;

// The emulator's kernel entry points (djlm_runtime.hpp).
typedef struct {
    void* data;
    uint64_t length;
} djlm_binding;

typedef int (*kernel_entry)(const djlm_binding* bindings, unsigned count, const unsigned* dims,
        char* message, unsigned capacity);

// The compile callback: returns 0 and the path of the built library, or non-zero and a message.
typedef int (*djlm_standin_compile_fn)(const char* source, int math_mode, char* path,
        unsigned long path_capacity, char* message, unsigned long message_capacity);

enum {
    MATH_MODE_SAFE = 0,
    MATH_MODE_RELAXED = 1,
    MATH_MODE_FAST = 2,
};

enum {
    STATUS_NOT_ENQUEUED = 0,
    STATUS_COMMITTED = 2,
    STATUS_COMPLETED = 4,
    STATUS_ERROR = 5,
};

enum { TABLE_ENTRIES = 31, MAX_SET_BYTES = 4096, MAX_THREADS = 1024, MESSAGE_BYTES = 2048 };

enum kind {
    KIND_STRING,
    KIND_ERROR,
    KIND_COMPILE_OPTIONS,
    KIND_DEVICE,
    KIND_QUEUE,
    KIND_LIBRARY,
    KIND_FUNCTION,
    KIND_PIPELINE,
    KIND_BUFFER,
    KIND_COMMAND_BUFFER,
    KIND_ENCODER,
    KIND_COUNT
};

static const char* const KIND_NAMES[KIND_COUNT] = {
    "NSString",
    "NSError",
    "MTLCompileOptions",
    "MTLDevice",
    "MTLCommandQueue",
    "MTLLibrary",
    "MTLFunction",
    "MTLComputePipelineState",
    "MTLBuffer",
    "MTLCommandBuffer",
    "MTLComputeCommandEncoder",
};

struct slot {
    int kind;  // 0 unbound, 1 buffer, 2 bytes
    id buffer;
    NSUInteger offset;
    unsigned char* bytes;
    NSUInteger length;
};

struct command {
    char kernel[128];
    kernel_entry entry;
    djlm_binding bindings[TABLE_ENTRIES];
    unsigned char* copies[TABLE_ENTRIES];
    unsigned count;
    unsigned dims[6];
};

struct object {
    uint32_t magic;
    enum kind kind;
    bool is_class;
    bool zombie;
    long refcount;
    union {
        struct {
            char* utf8;
        } string;
        struct {
            id description;
            NSInteger code;
        } error;
        struct {
            int math_mode;
            int fast_math;
        } options;
        struct {
            id name;
        } device;
        struct {
            id device;
        } queue;
        struct {
            void* handle;
            int math_mode;
        } library;
        struct {
            id library;
            id name;
            kernel_entry entry;
        } function;
        struct {
            char name[128];
            kernel_entry entry;
        } pipeline;
        struct {
            unsigned char* contents;
            NSUInteger length;
            NSUInteger options;
        } buffer;
        struct {
            NSUInteger status;
            bool committed;
            id encoder;
            id error;
            struct command* commands;
            size_t command_count;
            size_t command_capacity;
            id* resources;
            size_t resource_count;
            size_t resource_capacity;
        } command_buffer;
        struct {
            id command_buffer;
            bool ended;
            id pipeline;
            struct slot* slots;
        } encoder;
    } u;
};

#define MAGIC 0x444a4c4du

// ---------------------------------------------------------------------------------------------
// State and diagnostics

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int record_fatal = 0;
static int macos_major = 15;
static char first_fatal[MESSAGE_BYTES];
static long fatal_count = 0;
static char first_warning[MESSAGE_BYTES];
static long warning_count = 0;
static djlm_standin_compile_fn compiler = NULL;
static int last_math_mode = -1;
static long compile_count = 0;
static long device_refusals = 0;
static id system_device = NULL;

static void lock_state(void) { pthread_mutex_lock(&lock); }
static void unlock_state(void) { pthread_mutex_unlock(&lock); }

/** A failed Metal assertion or an Objective-C crash: abort like Metal, or record when asked. */
static void fatal(const char* format, ...) __attribute__((format(printf, 1, 2)));
static void fatal(const char* format, ...) {
    char message[MESSAGE_BYTES];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    if (!record_fatal) {
        fprintf(stderr, "djl-metal stand-in (Objective-C/Metal on Linux): %s\n", message);
        fflush(stderr);
        abort();
    }
    lock_state();
    if (fatal_count++ == 0) {
        snprintf(first_fatal, sizeof(first_fatal), "%s", message);
    }
    unlock_state();
}

/** Something that works on a Mac but leaks or misbehaves there (a missing pool, for example). */
static void warning(const char* format, ...) __attribute__((format(printf, 1, 2)));
static void warning(const char* format, ...) {
    char message[MESSAGE_BYTES];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    lock_state();
    if (warning_count++ == 0) {
        snprintf(first_warning, sizeof(first_warning), "%s", message);
    }
    unlock_state();
}

// ---------------------------------------------------------------------------------------------
// Objects: a registry of every object ever made (dead ones stay as zombies)

static struct object** registry = NULL;
static size_t registry_capacity = 0;
static size_t registry_count = 0;

static size_t hash_pointer(const void* p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void registry_insert(struct object* o) {
    if ((registry_count + 1) * 2 > registry_capacity) {
        size_t capacity = registry_capacity == 0 ? 1024 : registry_capacity * 2;
        struct object** grown = calloc(capacity, sizeof(*grown));
        if (grown == NULL) {
            abort();
        }
        for (size_t i = 0; i < registry_capacity; i++) {
            if (registry[i] != NULL) {
                size_t h = hash_pointer(registry[i]) & (capacity - 1);
                while (grown[h] != NULL) {
                    h = (h + 1) & (capacity - 1);
                }
                grown[h] = registry[i];
            }
        }
        free(registry);
        registry = grown;
        registry_capacity = capacity;
    }
    size_t h = hash_pointer(o) & (registry_capacity - 1);
    while (registry[h] != NULL) {
        h = (h + 1) & (registry_capacity - 1);
    }
    registry[h] = o;
    registry_count++;
}

static struct object* registry_find(const void* p) {
    if (p == NULL || registry_capacity == 0) {
        return NULL;
    }
    size_t h = hash_pointer(p) & (registry_capacity - 1);
    while (registry[h] != NULL) {
        if ((const void*)registry[h] == p) {
            return registry[h];
        }
        h = (h + 1) & (registry_capacity - 1);
    }
    return NULL;
}

static id make_object(enum kind kind) {
    struct object* o = calloc(1, sizeof(*o));
    if (o == NULL) {
        abort();
    }
    o->magic = MAGIC;
    o->kind = kind;
    o->refcount = 1;
    registry_insert(o);
    return o;
}

static struct object class_objects[KIND_COUNT];

static const char* class_name(id o) {
    return o == NULL ? "nil" : KIND_NAMES[o->kind];
}

static void release_object(id o);

static void retain_object(id o) {
    if (o->is_class) {
        return;
    }
    if (o->zombie) {
        fatal("*** -[%s retain]: message sent to deallocated instance %p", class_name(o),
                (void*)o);
        return;
    }
    o->refcount++;
}

// ---------------------------------------------------------------------------------------------
// Autorelease pools (per thread)

struct pool_entry {
    bool boundary;
    uintptr_t token;
    id object;
};

static __thread struct pool_entry* pool_entries = NULL;
static __thread size_t pool_count = 0;
static __thread size_t pool_capacity = 0;
static __thread long pool_depth = 0;
static uintptr_t next_pool_token = 0x1000;

static void pool_append(struct pool_entry entry) {
    if (pool_count == pool_capacity) {
        pool_capacity = pool_capacity == 0 ? 256 : pool_capacity * 2;
        pool_entries = realloc(pool_entries, pool_capacity * sizeof(*pool_entries));
        if (pool_entries == NULL) {
            abort();
        }
    }
    pool_entries[pool_count++] = entry;
}

static id autorelease_object(id o) {
    if (o == NULL || o->is_class) {
        return o;
    }
    if (pool_depth == 0) {
        // Apple's runtime puts the object in the thread's implicit pool, drained only when the
        // thread exits: a leak on a JVM thread. Model the leak and report it (OBJC_DEBUG_MISSING
        // _POOLS prints the same).
        warning("objc[%d]: MISSING POOLS: Object %p of class %s autoreleased with no pool in"
                " place - just leaking", (int)getpid(), (void*)o, class_name(o));
        return o;
    }
    pool_append((struct pool_entry){false, 0, o});
    return o;
}

EXPORT void* objc_autoreleasePoolPush(void) {
    lock_state();
    uintptr_t token = next_pool_token;
    next_pool_token += 16;
    unlock_state();
    pool_append((struct pool_entry){true, token, NULL});
    pool_depth++;
    return (void*)token;
}

EXPORT void objc_autoreleasePoolPop(void* token) {
    size_t index = pool_count;
    bool found = false;
    long inner = 0;
    while (index > 0) {
        index--;
        if (pool_entries[index].boundary) {
            if (pool_entries[index].token == (uintptr_t)token) {
                found = true;
                break;
            }
            inner++;
        }
    }
    if (!found) {
        fatal("objc[%d]: Invalid or prematurely-freed autorelease pool %p (not open on this"
              " thread)", (int)getpid(), token);
        return;
    }
    if (inner > 0) {
        warning("autorelease pool %p popped while %ld pool(s) pushed after it were still open",
                token, inner);
    }
    lock_state();
    while (pool_count > index) {
        struct pool_entry entry = pool_entries[--pool_count];
        if (entry.boundary) {
            pool_depth--;
        } else {
            release_object(entry.object);
        }
    }
    unlock_state();
}

// ---------------------------------------------------------------------------------------------
// Deallocation

static void command_buffer_drop_resources(id cb) {
    for (size_t i = 0; i < cb->u.command_buffer.resource_count; i++) {
        release_object(cb->u.command_buffer.resources[i]);
    }
    cb->u.command_buffer.resource_count = 0;
}

static void dealloc_object(id o) {
    switch (o->kind) {
        case KIND_STRING:
            free(o->u.string.utf8);
            o->u.string.utf8 = NULL;
            break;
        case KIND_ERROR:
            release_object(o->u.error.description);
            break;
        case KIND_DEVICE:
            release_object(o->u.device.name);
            break;
        case KIND_QUEUE:
            release_object(o->u.queue.device);
            break;
        case KIND_FUNCTION:
            release_object(o->u.function.library);
            release_object(o->u.function.name);
            break;
        case KIND_BUFFER:
            free(o->u.buffer.contents);
            o->u.buffer.contents = NULL;
            break;
        case KIND_COMMAND_BUFFER: {
            id encoder = o->u.command_buffer.encoder;
            o->u.command_buffer.encoder = NULL;
            command_buffer_drop_resources(o);
            if (o->u.command_buffer.error != NULL) {
                release_object(o->u.command_buffer.error);
            }
            for (size_t i = 0; i < o->u.command_buffer.command_count; i++) {
                for (int s = 0; s < TABLE_ENTRIES; s++) {
                    free(o->u.command_buffer.commands[i].copies[s]);
                }
            }
            free(o->u.command_buffer.commands);
            free(o->u.command_buffer.resources);
            if (encoder != NULL) {
                release_object(encoder);  // its dealloc reports the missing endEncoding
            }
            break;
        }
        case KIND_ENCODER:
            if (!o->u.encoder.ended) {
                fatal("-[MTLComputeCommandEncoder dealloc]: failed assertion `Command encoder"
                      " released without endEncoding'");
            }
            for (int i = 0; i < TABLE_ENTRIES; i++) {
                free(o->u.encoder.slots[i].bytes);
            }
            free(o->u.encoder.slots);
            o->u.encoder.slots = NULL;
            break;
        default:
            break;
    }
}

static void release_object(id o) {
    if (o == NULL || o->is_class) {
        return;
    }
    if (o->zombie) {
        fatal("*** -[%s release]: message sent to deallocated instance %p", class_name(o),
                (void*)o);
        return;
    }
    if (--o->refcount == 0) {
        o->zombie = true;
        dealloc_object(o);
    }
}

// ---------------------------------------------------------------------------------------------
// Selectors

struct selector {
    char* name;
    long sends;
};

static struct selector selectors[512];
static int selector_count = 0;

EXPORT SEL sel_registerName(const char* name) {
    lock_state();
    for (int i = 0; i < selector_count; i++) {
        if (strcmp(selectors[i].name, name) == 0) {
            unlock_state();
            return selectors[i].name;
        }
    }
    if (selector_count == (int)(sizeof(selectors) / sizeof(selectors[0]))) {
        abort();
    }
    selectors[selector_count].name = strdup(name);
    selectors[selector_count].sends = 0;
    SEL sel = selectors[selector_count++].name;
    unlock_state();
    return sel;
}

static struct selector* selector_of(SEL sel) {
    for (int i = 0; i < selector_count; i++) {
        if (selectors[i].name == sel) {
            return &selectors[i];
        }
    }
    return NULL;
}

// ---------------------------------------------------------------------------------------------
// Helpers for methods

/** Checks an object argument: nil only when allowed, otherwise a live object of `kind`. */
static bool check_argument(id self, SEL sel, const void* arg, enum kind kind, bool nil_ok,
        const char* what) {
    if (arg == NULL) {
        if (!nil_ok) {
            fatal("-[%s %s]: %s must not be nil", class_name(self), sel, what);
            return false;
        }
        return true;
    }
    struct object* o = registry_find(arg);
    if (o == NULL) {
        fatal("-[%s %s]: %s (%p) is not an Objective-C object: wrong argument type?",
                class_name(self), sel, what, arg);
        return false;
    }
    if (o->zombie) {
        fatal("-[%s %s]: %s %p is a deallocated instance", class_name(self), sel, what, arg);
        return false;
    }
    if (o->is_class || o->kind != kind) {
        fatal("-[%s %s]: %s is a %s, expected %s", class_name(self), sel, what,
                o->is_class ? "class" : KIND_NAMES[o->kind], KIND_NAMES[kind]);
        return false;
    }
    return true;
}

static id make_string(const char* text) {
    id s = make_object(KIND_STRING);
    s->u.string.utf8 = strdup(text == NULL ? "" : text);
    return s;
}

/** Returns an autoreleased NSError. */
static id make_error(NSInteger code, const char* format, ...) __attribute__((format(printf, 2, 3)));
static id make_error(NSInteger code, const char* format, ...) {
    char message[8192];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    id error = make_object(KIND_ERROR);
    error->u.error.description = make_string(message);
    error->u.error.code = code;
    return autorelease_object(error);
}

// ---------------------------------------------------------------------------------------------
// NSObject

static id m_retain(id self, SEL _cmd) {
    (void)_cmd;
    lock_state();
    retain_object(self);
    unlock_state();
    return self;
}

static void m_release(id self, SEL _cmd) {
    (void)_cmd;
    lock_state();
    release_object(self);
    unlock_state();
}

static id m_autorelease(id self, SEL _cmd) {
    (void)_cmd;
    lock_state();
    autorelease_object(self);
    unlock_state();
    return self;
}

static NSUInteger m_retain_count(id self, SEL _cmd) {
    (void)_cmd;
    return (NSUInteger)self->refcount;
}

static BOOL m_responds_to_selector(id self, SEL _cmd, SEL selector);

// ---------------------------------------------------------------------------------------------
// NSString, NSError, MTLCompileOptions

static id c_string_with_utf8(id cls, SEL _cmd, const char* text) {
    (void)cls;
    if (text == NULL) {
        fatal("+[NSString %s]: NULL cString", _cmd);
        return NULL;
    }
    lock_state();
    id s = autorelease_object(make_string(text));
    unlock_state();
    return s;
}

static const char* m_utf8_string(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.string.utf8;
}

static NSUInteger m_string_length(id self, SEL _cmd) {
    (void)_cmd;
    return strlen(self->u.string.utf8);
}

static id m_localized_description(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.error.description;
}

static NSInteger m_error_code(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.error.code;
}

static id c_new_options(id cls, SEL _cmd) {
    (void)cls;
    (void)_cmd;
    lock_state();
    id options = make_object(KIND_COMPILE_OPTIONS);
    options->u.options.math_mode = -1;
    options->u.options.fast_math = -1;
    unlock_state();
    return options;
}

static id m_init(id self, SEL _cmd) {
    (void)_cmd;
    return self;
}

static void m_set_fast_math_enabled(id self, SEL _cmd, BOOL enabled) {
    if (enabled != 0 && enabled != 1) {
        fatal("-[MTLCompileOptions %s]: BOOL argument %d is neither YES nor NO: wrong argument"
              " type?", _cmd, (int)enabled);
        return;
    }
    self->u.options.fast_math = enabled;
}

static BOOL m_fast_math_enabled(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.options.fast_math != 0;
}

static void m_set_math_mode(id self, SEL _cmd, NSInteger mode) {
    if (mode < MATH_MODE_SAFE || mode > MATH_MODE_FAST) {
        fatal("-[MTLCompileOptions %s]: %ld is not an MTLMathMode", _cmd, mode);
        return;
    }
    self->u.options.math_mode = (int)mode;
}

static NSInteger m_math_mode(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.options.math_mode < 0 ? MATH_MODE_FAST : self->u.options.math_mode;
}

static void m_set_language_version(id self, SEL _cmd, NSUInteger version) {
    (void)self;
    (void)_cmd;
    (void)version;
}

// ---------------------------------------------------------------------------------------------
// MTLDevice

static id m_device_name(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.device.name;
}

static id m_new_command_queue(id self, SEL _cmd) {
    (void)_cmd;
    lock_state();
    id queue = make_object(KIND_QUEUE);
    retain_object(self);
    queue->u.queue.device = self;
    unlock_state();
    return queue;
}

static int effective_math_mode(id options) {
    if (options == NULL) {
        return MATH_MODE_FAST;  // Metal's default: fast math on
    }
    if (options->u.options.math_mode >= 0) {
        return options->u.options.math_mode;
    }
    if (options->u.options.fast_math == 0) {
        return MATH_MODE_SAFE;
    }
    return MATH_MODE_FAST;
}

static id m_new_library_with_source(id self, SEL _cmd, id source, id options, id* error) {
    lock_state();
    if (!check_argument(self, _cmd, source, KIND_STRING, false, "the source")
            || !check_argument(self, _cmd, options, KIND_COMPILE_OPTIONS, true, "the options")) {
        unlock_state();
        return NULL;
    }
    int math_mode = effective_math_mode(options);
    last_math_mode = math_mode;
    compile_count++;
    djlm_standin_compile_fn compile = compiler;
    char* text = strdup(source->u.string.utf8);
    unlock_state();

    char path[4096] = {0};
    const unsigned long message_capacity = 65536;
    char* message = calloc(1, message_capacity);
    if (message == NULL) {
        abort();
    }
    int status = compile == NULL ? -1
            : compile(text, math_mode, path, sizeof(path), message, message_capacity);
    free(text);

    lock_state();
    id result = NULL;
    if (compile == NULL) {
        if (error != NULL) {
            *error = make_error(3, "Compilation failed: the stand-in has no compiler installed");
        }
    } else if (status != 0) {
        if (error != NULL) {
            *error = make_error(3, "Compilation failed: \n\n%s", message);
        }
    } else {
        void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) {
            if (error != NULL) {
                *error = make_error(3, "Compilation failed: cannot load %s: %s", path,
                        dlerror());
            }
        } else {
            result = make_object(KIND_LIBRARY);
            result->u.library.handle = handle;
            result->u.library.math_mode = math_mode;
        }
    }
    unlock_state();
    free(message);
    return result;
}

static id m_new_function_with_name(id self, SEL _cmd, id name) {
    lock_state();
    if (!check_argument(self, _cmd, name, KIND_STRING, false, "the name")) {
        unlock_state();
        return NULL;
    }
    char symbol[256];
    snprintf(symbol, sizeof(symbol), "djlm_%s", name->u.string.utf8);
    kernel_entry entry = (kernel_entry)dlsym(self->u.library.handle, symbol);
    id function = NULL;
    if (entry != NULL) {
        function = make_object(KIND_FUNCTION);
        retain_object(self);
        retain_object(name);
        function->u.function.library = self;
        function->u.function.name = name;
        function->u.function.entry = entry;
    }
    unlock_state();
    return function;
}

static id m_function_name(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.function.name;
}

static id m_new_pipeline(id self, SEL _cmd, id function, id* error) {
    (void)error;
    lock_state();
    if (!check_argument(self, _cmd, function, KIND_FUNCTION, false, "the function")) {
        unlock_state();
        return NULL;
    }
    id pipeline = make_object(KIND_PIPELINE);
    snprintf(pipeline->u.pipeline.name, sizeof(pipeline->u.pipeline.name), "%s",
            function->u.function.name->u.string.utf8);
    pipeline->u.pipeline.entry = function->u.function.entry;
    unlock_state();
    return pipeline;
}

static NSUInteger m_max_threads(id self, SEL _cmd) {
    (void)self;
    (void)_cmd;
    return MAX_THREADS;
}

static NSUInteger m_thread_execution_width(id self, SEL _cmd) {
    (void)self;
    (void)_cmd;
    return 32;
}

static const NSUInteger MAX_BUFFER_LENGTH = (NSUInteger)1 << 33;

static id new_buffer(id self, SEL _cmd, const void* bytes, NSUInteger length,
        NSUInteger options) {
    NSUInteger cache_mode = options & 0xF;
    NSUInteger storage = (options >> 4) & 0xF;
    NSUInteger hazard = (options >> 8) & 0x3;
    if ((options & ~(NSUInteger)0x3FF) != 0 || cache_mode > 1 || storage > 3 || hazard > 2) {
        fatal("-[MTLDevice %s]: invalid MTLResourceOptions 0x%lx: wrong argument type?", _cmd,
                options);
        return NULL;
    }
    if (storage == 3) {
        fatal("-[MTLDevice %s]: memoryless buffers are not supported", _cmd);
        return NULL;
    }
    if (length == 0 || length > MAX_BUFFER_LENGTH) {
        return NULL;
    }
    NSUInteger rounded = (length + 4095) / 4096 * 4096;
    unsigned char* contents = aligned_alloc(4096, rounded);
    if (contents == NULL) {
        return NULL;
    }
    memset(contents, 0, rounded);
    if (bytes != NULL) {
        memcpy(contents, bytes, length);
    }
    lock_state();
    id buffer = make_object(KIND_BUFFER);
    buffer->u.buffer.contents = contents;
    buffer->u.buffer.length = length;
    buffer->u.buffer.options = options;
    unlock_state();
    (void)self;
    return buffer;
}

static id m_new_buffer_with_length(id self, SEL _cmd, NSUInteger length, NSUInteger options) {
    return new_buffer(self, _cmd, NULL, length, options);
}

static id m_new_buffer_with_bytes(id self, SEL _cmd, const void* bytes, NSUInteger length,
        NSUInteger options) {
    if (bytes == NULL) {
        fatal("-[MTLDevice %s]: bytes must not be NULL", _cmd);
        return NULL;
    }
    return new_buffer(self, _cmd, bytes, length, options);
}

static NSUInteger m_max_buffer_length(id self, SEL _cmd) {
    (void)self;
    (void)_cmd;
    return MAX_BUFFER_LENGTH;
}

static NSUInteger m_max_threadgroup_memory(id self, SEL _cmd) {
    (void)self;
    (void)_cmd;
    return 32768;
}

static BOOL m_has_unified_memory(id self, SEL _cmd) {
    (void)self;
    (void)_cmd;
    return 1;
}

// ---------------------------------------------------------------------------------------------
// MTLBuffer

static void* m_contents(id self, SEL _cmd) {
    (void)_cmd;
    NSUInteger storage = (self->u.buffer.options >> 4) & 0xF;
    return storage == 2 ? NULL : self->u.buffer.contents;
}

static NSUInteger m_buffer_length(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.buffer.length;
}

// ---------------------------------------------------------------------------------------------
// MTLCommandQueue, MTLCommandBuffer

static id m_command_buffer(id self, SEL _cmd) {
    (void)self;
    (void)_cmd;
    lock_state();
    id cb = make_object(KIND_COMMAND_BUFFER);
    cb->u.command_buffer.status = STATUS_NOT_ENQUEUED;
    autorelease_object(cb);
    unlock_state();
    return cb;
}

static id m_queue_device(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.queue.device;
}

static id m_compute_command_encoder(id self, SEL _cmd) {
    lock_state();
    if (self->u.command_buffer.committed) {
        fatal("-[MTLCommandBuffer %s]: failed assertion `Command buffer already committed'",
                _cmd);
        unlock_state();
        return NULL;
    }
    if (self->u.command_buffer.encoder != NULL) {
        fatal("-[MTLCommandBuffer %s]: failed assertion `A command encoder is already encoding"
              " to this command buffer'", _cmd);
        unlock_state();
        return NULL;
    }
    id encoder = make_object(KIND_ENCODER);
    encoder->u.encoder.command_buffer = self;
    encoder->u.encoder.slots = calloc(TABLE_ENTRIES, sizeof(struct slot));
    // The command buffer holds the encoder until endEncoding; the caller gets it autoreleased.
    retain_object(encoder);
    self->u.command_buffer.encoder = encoder;
    autorelease_object(encoder);
    unlock_state();
    return encoder;
}

static void add_resource(id cb, id resource) {
    for (size_t i = 0; i < cb->u.command_buffer.resource_count; i++) {
        if (cb->u.command_buffer.resources[i] == resource) {
            return;
        }
    }
    if (cb->u.command_buffer.resource_count == cb->u.command_buffer.resource_capacity) {
        size_t capacity = cb->u.command_buffer.resource_capacity == 0
                ? 8 : cb->u.command_buffer.resource_capacity * 2;
        cb->u.command_buffer.resources =
                realloc(cb->u.command_buffer.resources, capacity * sizeof(id));
        cb->u.command_buffer.resource_capacity = capacity;
    }
    retain_object(resource);
    cb->u.command_buffer.resources[cb->u.command_buffer.resource_count++] = resource;
}

static void m_commit(id self, SEL _cmd) {
    lock_state();
    if (self->u.command_buffer.committed) {
        fatal("-[MTLCommandBuffer %s]: failed assertion `commit an already committed command"
              " buffer'", _cmd);
        unlock_state();
        return;
    }
    if (self->u.command_buffer.encoder != NULL) {
        fatal("-[MTLCommandBuffer %s]: failed assertion `Command encoder has not called"
              " endEncoding before commit'", _cmd);
        unlock_state();
        return;
    }
    self->u.command_buffer.committed = true;
    self->u.command_buffer.status = STATUS_COMMITTED;
    unlock_state();

    // Run the dispatches in order, outside the lock (the command buffer holds its resources).
    char message[MESSAGE_BYTES];
    int failed = 0;
    for (size_t i = 0; i < self->u.command_buffer.command_count && !failed; i++) {
        struct command* c = &self->u.command_buffer.commands[i];
        message[0] = '\0';
        int status = c->entry(c->bindings, c->count, c->dims, message, sizeof(message));
        if (status != 0) {
            failed = 1;
            lock_state();
            id error = make_error(1, "Execution of the command buffer was aborted due to an"
                    " error during execution. %s (status %d)", message, status);
            retain_object(error);
            self->u.command_buffer.error = error;
            unlock_state();
        }
    }
    lock_state();
    self->u.command_buffer.status = failed ? STATUS_ERROR : STATUS_COMPLETED;
    command_buffer_drop_resources(self);
    unlock_state();
}

static void m_wait_until_completed(id self, SEL _cmd) {
    if (!self->u.command_buffer.committed) {
        fatal("-[MTLCommandBuffer %s]: failed assertion `waitUntilCompleted on a command buffer"
              " that was not committed'", _cmd);
    }
}

static NSUInteger m_status(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.command_buffer.status;
}

static id m_error(id self, SEL _cmd) {
    (void)_cmd;
    return self->u.command_buffer.error;
}

// ---------------------------------------------------------------------------------------------
// MTLComputeCommandEncoder

static bool check_encoding(id self, SEL sel) {
    if (self->u.encoder.ended) {
        fatal("-[MTLComputeCommandEncoder %s]: failed assertion `encoding has already ended'",
                sel);
        return false;
    }
    return true;
}

static void m_set_pipeline(id self, SEL _cmd, id pipeline) {
    lock_state();
    if (check_encoding(self, _cmd)
            && check_argument(self, _cmd, pipeline, KIND_PIPELINE, false, "the pipeline")) {
        add_resource(self->u.encoder.command_buffer, pipeline);
        self->u.encoder.pipeline = pipeline;
    }
    unlock_state();
}

static void m_set_buffer(id self, SEL _cmd, id buffer, NSUInteger offset, NSUInteger index) {
    lock_state();
    if (!check_encoding(self, _cmd)
            || !check_argument(self, _cmd, buffer, KIND_BUFFER, true, "the buffer")) {
        unlock_state();
        return;
    }
    if (index >= TABLE_ENTRIES) {
        fatal("-[MTLComputeCommandEncoder %s]: index %lu is not below %d: wrong argument"
              " type?", _cmd, index, TABLE_ENTRIES);
    } else if (buffer != NULL && offset >= buffer->u.buffer.length) {
        fatal("-[MTLComputeCommandEncoder %s]: offset %lu is not below the buffer's length %lu",
                _cmd, offset, buffer->u.buffer.length);
    } else {
        struct slot* slot = &self->u.encoder.slots[index];
        free(slot->bytes);
        slot->bytes = NULL;
        slot->kind = buffer == NULL ? 0 : 1;
        slot->buffer = buffer;
        slot->offset = offset;
        if (buffer != NULL) {
            add_resource(self->u.encoder.command_buffer, buffer);
        }
    }
    unlock_state();
}

static void m_set_bytes(id self, SEL _cmd, const void* bytes, NSUInteger length,
        NSUInteger index) {
    lock_state();
    if (!check_encoding(self, _cmd)) {
        unlock_state();
        return;
    }
    if (bytes == NULL) {
        fatal("-[MTLComputeCommandEncoder %s]: bytes must not be NULL", _cmd);
    } else if (length == 0 || length > MAX_SET_BYTES) {
        fatal("-[MTLComputeCommandEncoder %s]: length %lu must be 1 to %d bytes (use a buffer"
              " for more): wrong argument type?", _cmd, length, MAX_SET_BYTES);
    } else if (index >= TABLE_ENTRIES) {
        fatal("-[MTLComputeCommandEncoder %s]: index %lu is not below %d: wrong argument"
              " type?", _cmd, index, TABLE_ENTRIES);
    } else {
        struct slot* slot = &self->u.encoder.slots[index];
        slot->kind = 2;
        slot->buffer = NULL;
        free(slot->bytes);
        slot->bytes = malloc(length);
        if (slot->bytes == NULL) {
            abort();
        }
        memcpy(slot->bytes, bytes, length);
        slot->length = length;
    }
    unlock_state();
}

static bool valid_size(MTLSize size) {
    return size.width >= 1 && size.height >= 1 && size.depth >= 1 && size.width <= 0xFFFFFFFFu
            && size.height <= 0xFFFFFFFFu && size.depth <= 0xFFFFFFFFu;
}

static void m_dispatch_threadgroups(id self, SEL _cmd, MTLSize threadgroups, MTLSize threads) {
    lock_state();
    if (!check_encoding(self, _cmd)) {
        unlock_state();
        return;
    }
    id pipeline = self->u.encoder.pipeline;
    if (pipeline == NULL) {
        fatal("-[MTLComputeCommandEncoder %s]: no compute pipeline state is set", _cmd);
        unlock_state();
        return;
    }
    if (!valid_size(threadgroups) || !valid_size(threads)) {
        fatal("-[MTLComputeCommandEncoder %s]: threadgroupsPerGrid (%lu, %lu, %lu) and"
              " threadsPerThreadgroup (%lu, %lu, %lu) must be between 1 and 2^32 - 1: MTLSize"
              " not passed by value?", _cmd, threadgroups.width, threadgroups.height,
                threadgroups.depth, threads.width, threads.height, threads.depth);
        unlock_state();
        return;
    }
    NSUInteger total = threads.width * threads.height * threads.depth;
    if (threads.width > MAX_THREADS || threads.height > MAX_THREADS
            || threads.depth > MAX_THREADS || total > MAX_THREADS) {
        fatal("-[MTLComputeCommandEncoder %s]: threadsPerThreadgroup (%lu, %lu, %lu) exceeds"
              " maxTotalThreadsPerThreadgroup %d", _cmd, threads.width, threads.height,
                threads.depth, MAX_THREADS);
        unlock_state();
        return;
    }
    id cb = self->u.encoder.command_buffer;
    if (cb->u.command_buffer.command_count == cb->u.command_buffer.command_capacity) {
        size_t capacity = cb->u.command_buffer.command_capacity == 0
                ? 4 : cb->u.command_buffer.command_capacity * 2;
        cb->u.command_buffer.commands =
                realloc(cb->u.command_buffer.commands, capacity * sizeof(struct command));
        cb->u.command_buffer.command_capacity = capacity;
    }
    struct command* c = &cb->u.command_buffer.commands[cb->u.command_buffer.command_count++];
    memset(c, 0, sizeof(*c));
    snprintf(c->kernel, sizeof(c->kernel), "%s", pipeline->u.pipeline.name);
    c->entry = pipeline->u.pipeline.entry;
    for (int i = 0; i < TABLE_ENTRIES; i++) {
        struct slot* slot = &self->u.encoder.slots[i];
        if (slot->kind == 1) {
            c->bindings[i].data = slot->buffer->u.buffer.contents + slot->offset;
            c->bindings[i].length = slot->buffer->u.buffer.length - slot->offset;
            c->count = (unsigned)i + 1;
        } else if (slot->kind == 2) {
            c->copies[i] = malloc(slot->length);
            memcpy(c->copies[i], slot->bytes, slot->length);
            c->bindings[i].data = c->copies[i];
            c->bindings[i].length = slot->length;
            c->count = (unsigned)i + 1;
        }
    }
    c->dims[0] = (unsigned)threadgroups.width;
    c->dims[1] = (unsigned)threadgroups.height;
    c->dims[2] = (unsigned)threadgroups.depth;
    c->dims[3] = (unsigned)threads.width;
    c->dims[4] = (unsigned)threads.height;
    c->dims[5] = (unsigned)threads.depth;
    unlock_state();
}

static void m_end_encoding(id self, SEL _cmd) {
    lock_state();
    if (check_encoding(self, _cmd)) {
        self->u.encoder.ended = true;
        id cb = self->u.encoder.command_buffer;
        if (cb->u.command_buffer.encoder == self) {
            cb->u.command_buffer.encoder = NULL;
            release_object(self);
        }
    }
    unlock_state();
}

// ---------------------------------------------------------------------------------------------
// Method tables

struct method {
    const char* name;
    IMP imp;
    int since_macos;  // 0: always
};

#define METHOD(name, imp) {name, (IMP)(imp), 0}
#define END_METHODS {NULL, NULL, 0}

static const struct method OBJECT_METHODS[] = {
    METHOD("retain", m_retain),
    METHOD("release", m_release),
    METHOD("autorelease", m_autorelease),
    METHOD("retainCount", m_retain_count),
    METHOD("respondsToSelector:", m_responds_to_selector),
    END_METHODS,
};

static const struct method STRING_METHODS[] = {
    METHOD("UTF8String", m_utf8_string),
    METHOD("length", m_string_length),
    END_METHODS,
};

static const struct method STRING_CLASS_METHODS[] = {
    METHOD("stringWithUTF8String:", c_string_with_utf8),
    END_METHODS,
};

static const struct method ERROR_METHODS[] = {
    METHOD("localizedDescription", m_localized_description),
    METHOD("code", m_error_code),
    END_METHODS,
};

static const struct method OPTIONS_CLASS_METHODS[] = {
    METHOD("new", c_new_options),
    METHOD("alloc", c_new_options),
    END_METHODS,
};

static const struct method OPTIONS_METHODS[] = {
    METHOD("init", m_init),
    METHOD("setFastMathEnabled:", m_set_fast_math_enabled),
    METHOD("fastMathEnabled", m_fast_math_enabled),
    {"setMathMode:", (IMP)m_set_math_mode, 15},
    {"mathMode", (IMP)m_math_mode, 15},
    METHOD("setLanguageVersion:", m_set_language_version),
    END_METHODS,
};

static const struct method DEVICE_METHODS[] = {
    METHOD("name", m_device_name),
    METHOD("newCommandQueue", m_new_command_queue),
    METHOD("newLibraryWithSource:options:error:", m_new_library_with_source),
    METHOD("newComputePipelineStateWithFunction:error:", m_new_pipeline),
    METHOD("newBufferWithLength:options:", m_new_buffer_with_length),
    METHOD("newBufferWithBytes:length:options:", m_new_buffer_with_bytes),
    METHOD("maxBufferLength", m_max_buffer_length),
    METHOD("maxThreadgroupMemoryLength", m_max_threadgroup_memory),
    METHOD("hasUnifiedMemory", m_has_unified_memory),
    END_METHODS,
};

static const struct method QUEUE_METHODS[] = {
    METHOD("commandBuffer", m_command_buffer),
    METHOD("device", m_queue_device),
    END_METHODS,
};

static const struct method LIBRARY_METHODS[] = {
    METHOD("newFunctionWithName:", m_new_function_with_name),
    END_METHODS,
};

static const struct method FUNCTION_METHODS[] = {
    METHOD("name", m_function_name),
    END_METHODS,
};

static const struct method PIPELINE_METHODS[] = {
    METHOD("maxTotalThreadsPerThreadgroup", m_max_threads),
    METHOD("threadExecutionWidth", m_thread_execution_width),
    END_METHODS,
};

static const struct method BUFFER_METHODS[] = {
    METHOD("contents", m_contents),
    METHOD("length", m_buffer_length),
    END_METHODS,
};

static const struct method COMMAND_BUFFER_METHODS[] = {
    METHOD("computeCommandEncoder", m_compute_command_encoder),
    METHOD("commit", m_commit),
    METHOD("waitUntilCompleted", m_wait_until_completed),
    METHOD("status", m_status),
    METHOD("error", m_error),
    END_METHODS,
};

static const struct method ENCODER_METHODS[] = {
    METHOD("setComputePipelineState:", m_set_pipeline),
    METHOD("setBuffer:offset:atIndex:", m_set_buffer),
    METHOD("setBytes:length:atIndex:", m_set_bytes),
    METHOD("dispatchThreadgroups:threadsPerThreadgroup:", m_dispatch_threadgroups),
    METHOD("endEncoding", m_end_encoding),
    END_METHODS,
};

static const struct method* const INSTANCE_METHODS[KIND_COUNT] = {
    STRING_METHODS,
    ERROR_METHODS,
    OPTIONS_METHODS,
    DEVICE_METHODS,
    QUEUE_METHODS,
    LIBRARY_METHODS,
    FUNCTION_METHODS,
    PIPELINE_METHODS,
    BUFFER_METHODS,
    COMMAND_BUFFER_METHODS,
    ENCODER_METHODS,
};

static const struct method* const CLASS_METHODS[KIND_COUNT] = {
    [KIND_STRING] = STRING_CLASS_METHODS,
    [KIND_COMPILE_OPTIONS] = OPTIONS_CLASS_METHODS,
};

static const struct method* find_in(const struct method* table, SEL sel) {
    for (; table != NULL && table->name != NULL; table++) {
        if (strcmp(table->name, sel) == 0
                && (table->since_macos == 0 || macos_major >= table->since_macos)) {
            return table;
        }
    }
    return NULL;
}

static const struct method* find_method(id receiver, SEL sel) {
    if (receiver->is_class) {
        const struct method* m = find_in(CLASS_METHODS[receiver->kind], sel);
        return m != NULL ? m : find_in(OBJECT_METHODS, sel);
    }
    const struct method* m = find_in(INSTANCE_METHODS[receiver->kind], sel);
    return m != NULL ? m : find_in(OBJECT_METHODS, sel);
}

static BOOL m_responds_to_selector(id self, SEL _cmd, SEL selector) {
    lock_state();
    BOOL result = 0;
    if (selector_of(selector) == NULL) {
        fatal("-[%s %s]: %p is not a registered selector: wrong argument type?",
                class_name(self), _cmd, (const void*)selector);
    } else {
        result = find_method(self, selector) != NULL;
    }
    unlock_state();
    return result;
}

// ---------------------------------------------------------------------------------------------
// objc_msgSend

static long ignored_message(void) {
    return 0;
}

/** Called by the trampoline: the method for (self, sel), or a stub after reporting the fault. */
__attribute__((visibility("hidden"), used)) IMP djlm_standin_lookup(id self, SEL sel) {
    if (self == NULL) {
        return (IMP)ignored_message;  // messaging nil returns 0, as in Objective-C
    }
    lock_state();
    struct selector* s = selector_of(sel);
    if (s == NULL) {
        fatal("objc_msgSend(%p, %p): the selector was not returned by sel_registerName: wrong"
              " argument type?", (void*)self, (const void*)sel);
        unlock_state();
        return (IMP)ignored_message;
    }
    s->sends++;
    struct object* o = registry_find(self);
    if (o == NULL) {
        fatal("objc_msgSend(%p, %s): the receiver is not an Objective-C object"
              " (EXC_BAD_ACCESS on a Mac)", (void*)self, sel);
        unlock_state();
        return (IMP)ignored_message;
    }
    if (o->zombie) {
        fatal("*** -[%s %s]: message sent to deallocated instance %p", class_name(o), sel,
                (void*)o);
        unlock_state();
        return (IMP)ignored_message;
    }
    if (pool_depth == 0) {
        warning("%c[%s %s] sent outside an autorelease pool: anything it autoreleases leaks"
                " on a JVM thread", o->is_class ? '+' : '-', class_name(o), sel);
    }
    const struct method* m = find_method(o, sel);
    if (m == NULL) {
        fatal("*** %c[%s %s]: unrecognized selector sent to %s %p", o->is_class ? '+' : '-',
                class_name(o), sel, o->is_class ? "class" : "instance", (void*)o);
        unlock_state();
        return (IMP)ignored_message;
    }
    unlock_state();
    return m->imp;
}

// Apple's objc_msgSend does not touch the arguments: it finds the method and jumps to it. So does
// this one: it saves the six integer and eight vector argument registers (and %rax, the vector
// count of variadic calls), calls the lookup, restores them and tail-jumps, leaving the stack (and
// with it any MTLSize passed by value) exactly as the caller built it.
__asm__(
        ".text\n"
        ".globl objc_msgSend\n"
        ".type objc_msgSend, @function\n"
        ".p2align 4\n"
        "objc_msgSend:\n"
        "    .cfi_startproc\n"
        "    pushq %rbp\n"
        "    .cfi_def_cfa_offset 16\n"
        "    .cfi_offset %rbp, -16\n"
        "    movq %rsp, %rbp\n"
        "    .cfi_def_cfa_register %rbp\n"
        "    subq $192, %rsp\n"
        "    movq %rdi, 0(%rsp)\n"
        "    movq %rsi, 8(%rsp)\n"
        "    movq %rdx, 16(%rsp)\n"
        "    movq %rcx, 24(%rsp)\n"
        "    movq %r8, 32(%rsp)\n"
        "    movq %r9, 40(%rsp)\n"
        "    movq %rax, 48(%rsp)\n"
        "    movdqa %xmm0, 64(%rsp)\n"
        "    movdqa %xmm1, 80(%rsp)\n"
        "    movdqa %xmm2, 96(%rsp)\n"
        "    movdqa %xmm3, 112(%rsp)\n"
        "    movdqa %xmm4, 128(%rsp)\n"
        "    movdqa %xmm5, 144(%rsp)\n"
        "    movdqa %xmm6, 160(%rsp)\n"
        "    movdqa %xmm7, 176(%rsp)\n"
        "    call djlm_standin_lookup\n"
        "    movq %rax, %r11\n"
        "    movq 0(%rsp), %rdi\n"
        "    movq 8(%rsp), %rsi\n"
        "    movq 16(%rsp), %rdx\n"
        "    movq 24(%rsp), %rcx\n"
        "    movq 32(%rsp), %r8\n"
        "    movq 40(%rsp), %r9\n"
        "    movq 48(%rsp), %rax\n"
        "    movdqa 64(%rsp), %xmm0\n"
        "    movdqa 80(%rsp), %xmm1\n"
        "    movdqa 96(%rsp), %xmm2\n"
        "    movdqa 112(%rsp), %xmm3\n"
        "    movdqa 128(%rsp), %xmm4\n"
        "    movdqa 144(%rsp), %xmm5\n"
        "    movdqa 160(%rsp), %xmm6\n"
        "    movdqa 176(%rsp), %xmm7\n"
        "    movq %rbp, %rsp\n"
        "    popq %rbp\n"
        "    .cfi_def_cfa %rsp, 8\n"
        "    jmp *%r11\n"
        "    .cfi_endproc\n"
        ".size objc_msgSend, .-objc_msgSend\n");

// ---------------------------------------------------------------------------------------------
// Runtime and framework entry points

static void init_classes(void) {
    static bool done = false;
    if (done) {
        return;
    }
    for (int k = 0; k < KIND_COUNT; k++) {
        class_objects[k].magic = MAGIC;
        class_objects[k].kind = (enum kind)k;
        class_objects[k].is_class = true;
        class_objects[k].refcount = 1;
        registry_insert(&class_objects[k]);
    }
    done = true;
}

EXPORT id objc_getClass(const char* name) {
    lock_state();
    init_classes();
    id result = NULL;
    if (strcmp(name, "NSString") == 0) {
        result = &class_objects[KIND_STRING];
    } else if (strcmp(name, "NSError") == 0) {
        result = &class_objects[KIND_ERROR];
    } else if (strcmp(name, "MTLCompileOptions") == 0) {
        result = &class_objects[KIND_COMPILE_OPTIONS];
    }
    unlock_state();
    return result;
}

static int find_coregraphics(struct dl_phdr_info* info, size_t size, void* data) {
    (void)size;
    const char* path = info->dlpi_name;
    const char* base = path == NULL ? NULL : strrchr(path, '/');
    base = base == NULL ? path : base + 1;
    if (base != NULL && strcmp(base, "CoreGraphics") == 0) {
        *(int*)data = 1;
        return 1;
    }
    return 0;
}

/** Metal's C entry point: a +1 reference to the one system device, or nil without CoreGraphics. */
EXPORT id MTLCreateSystemDefaultDevice(void) {
    int loaded = 0;
    dl_iterate_phdr(find_coregraphics, &loaded);
    lock_state();
    init_classes();
    if (!loaded) {
        device_refusals++;
        unlock_state();
        return NULL;
    }
    if (system_device == NULL) {
        system_device = make_object(KIND_DEVICE);  // the system's own reference
        system_device->u.device.name = make_string("djl-metal stand-in (CPU emulator on Linux)");
    }
    retain_object(system_device);
    unlock_state();
    return system_device;
}

// ---------------------------------------------------------------------------------------------
// Test controls (not part of any Apple API)

EXPORT void djlm_standin_set_compiler(djlm_standin_compile_fn fn) {
    lock_state();
    compiler = fn;
    unlock_state();
}

EXPORT void djlm_standin_set_record_fatal(int record) {
    lock_state();
    record_fatal = record;
    unlock_state();
}

EXPORT void djlm_standin_set_macos_major(int major) {
    lock_state();
    macos_major = major;
    unlock_state();
}

EXPORT long djlm_standin_fatal_count(void) {
    lock_state();
    long n = fatal_count;
    unlock_state();
    return n;
}

EXPORT long djlm_standin_warning_count(void) {
    lock_state();
    long n = warning_count;
    unlock_state();
    return n;
}

EXPORT void djlm_standin_first_fatal(char* buffer, unsigned long capacity) {
    lock_state();
    snprintf(buffer, capacity, "%s", fatal_count == 0 ? "" : first_fatal);
    unlock_state();
}

EXPORT void djlm_standin_first_warning(char* buffer, unsigned long capacity) {
    lock_state();
    snprintf(buffer, capacity, "%s", warning_count == 0 ? "" : first_warning);
    unlock_state();
}

EXPORT void djlm_standin_clear_diagnostics(void) {
    lock_state();
    fatal_count = 0;
    warning_count = 0;
    first_fatal[0] = '\0';
    first_warning[0] = '\0';
    unlock_state();
}

EXPORT long djlm_standin_live_objects(const char* class_name_wanted) {
    lock_state();
    long n = 0;
    for (size_t i = 0; i < registry_capacity; i++) {
        struct object* o = registry[i];
        if (o != NULL && !o->is_class && !o->zombie
                && strcmp(KIND_NAMES[o->kind], class_name_wanted) == 0) {
            n++;
        }
    }
    unlock_state();
    return n;
}

EXPORT long djlm_standin_pool_depth(void) {
    return pool_depth;
}

EXPORT int djlm_standin_last_math_mode(void) {
    lock_state();
    int mode = last_math_mode;
    unlock_state();
    return mode;
}

EXPORT long djlm_standin_compile_count(void) {
    lock_state();
    long n = compile_count;
    unlock_state();
    return n;
}

EXPORT long djlm_standin_sends(const char* selector) {
    lock_state();
    long n = 0;
    for (int i = 0; i < selector_count; i++) {
        if (strcmp(selectors[i].name, selector) == 0) {
            n = selectors[i].sends;
        }
    }
    unlock_state();
    return n;
}

EXPORT long djlm_standin_device_refusals(void) {
    lock_state();
    long n = device_refusals;
    unlock_state();
    return n;
}

EXPORT long djlm_standin_retain_count(const void* object) {
    lock_state();
    struct object* o = registry_find(object);
    long n = o == NULL ? -1 : o->zombie ? 0 : o->refcount;
    unlock_state();
    return n;
}
