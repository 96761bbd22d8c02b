// CPU runtime of the Metal kernel emulator: runs a grid of threadgroups with one OS thread per
// lane, so threadgroup barriers and SIMD-group reductions synchronize real concurrent lanes as on
// a GPU. It is as strict as a GPU is unforgiving:
//
// - kernel arguments are bound by their [[buffer(i)]] / thread-position attributes (the translator
//   lists them in djlm_binding_<kernel>), never by position;
// - every access through a device or constant pointer is checked against the length bound at that
//   index (device_ptr); the first violation fails the dispatch with a message naming the buffer;
// - threadgroup memory is poisoned (every byte 0xFF: NaN in float and half, all ones in integers)
//   when a threadgroup first uses it, so an uninitialized tile reads garbage, never zeros or the
//   previous threadgroup's values; more than 32 KiB per threadgroup fails the dispatch.
//
// This header is included BEFORE the translated kernel source, so every standard header is seen
// before the MSL shim (metal_stdlib) defines its types.
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace djlm {

/** A thread or threadgroup position, as MSL's uint3. */
struct Uint3 {
    unsigned int x;
    unsigned int y;
    unsigned int z;
};

/** Lanes of one SIMD group (threadExecutionWidth of Apple GPUs). */
constexpr unsigned int kSimdWidth = 32;

/** Bytes reserved per lane for values exchanged by SIMD-group reductions. */
constexpr std::size_t kSlotBytes = 16;

/** Threadgroup memory of Apple GPUs (maxThreadgroupMemoryLength). */
constexpr std::size_t kMaxThreadgroupMemory = 32768;

/** Threadgroup memory the emulator reserves, so a kernel over the limit still runs safely. */
constexpr std::size_t kThreadgroupArena = std::size_t(1) << 20;

/** Threadgroup variables (declaration sites) the emulator tracks per source. */
constexpr unsigned int kMaxThreadgroupSites = 256;

/** The byte every threadgroup variable is filled with before a threadgroup first uses it. */
constexpr unsigned char kPoison = 0xFF;

/** Dispatch status codes returned by the exported kernel entry points. */
enum Status : int { kOk = 0, kBadGrid = 1, kNoThreads = 2, kBadBinding = 3, kFault = 4 };

/**
 * One entry of the argument table handed to an exported kernel, indexed like [[buffer(i)]]: a
 * buffer's contents (from its bound offset) or the bytes of setBytes, and their length. An entry
 * with null data is unbound. 16 bytes, the ABI shared with the Java device and the stand-in.
 */
struct Binding {
    void* data;
    std::uint64_t length;
};

static_assert(sizeof(Binding) == 16, "Binding is part of the emulator's C ABI");

/** How a kernel parameter is bound (the translator emits these names). */
enum class ParamKind {
    none,
    buffer,
    threadgroup_position_in_grid,
    thread_position_in_threadgroup,
    thread_index_in_threadgroup,
    thread_position_in_grid,
    threads_per_threadgroup,
    threadgroups_per_grid,
    simdgroup_index_in_threadgroup,
    thread_index_in_simdgroup,
    simdgroups_per_threadgroup,
    threads_per_simdgroup
};

/** One kernel parameter: its attribute, buffer index and name. */
struct Param {
    ParamKind kind;
    unsigned int index;
    const char* name;
};

template <typename T>
using as_const = const T;

inline std::string format(const char* fmt, ...) {
    char buffer[1024];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof(buffer), fmt, args);
    va_end(args);
    return buffer;
}

struct Group;
struct Lane;

/** One dispatch: the kernel, its arguments, its geometry and the first fault it met. */
struct Dispatch {
    const char* kernel = "";
    const Binding* bindings = nullptr;
    unsigned int count = 0;
    Uint3 grid{1, 1, 1};
    Uint3 threads{1, 1, 1};
    void (*invoke)(const Lane&) = nullptr;
    Group* group = nullptr;
    std::atomic<bool> faulted{false};
    std::mutex fault_mutex;
    std::string fault;

    /** Records the first fault of the dispatch; later ones are dropped. */
    void report(const std::string& message) {
        if (!faulted.exchange(true)) {
            std::lock_guard<std::mutex> lock(fault_mutex);
            fault = message;
        }
    }

    const Binding* binding(unsigned int index) const {
        if (index >= count || bindings[index].data == nullptr) {
            return nullptr;
        }
        return &bindings[index];
    }
};

/** The position of one lane, as the kernel's attribute arguments see it. */
struct Lane {
    Dispatch* dispatch;
    Group* group;
    unsigned int lid;
    unsigned int sgid;
    unsigned int slid;
    Uint3 tgid;
};

inline thread_local Lane* current_lane = nullptr;

/** Synchronization state and threadgroup memory shared by the lanes of one threadgroup. */
struct Group {
    struct EndOfThreadgroup {
        Group* group;
        void operator()() noexcept { group->reset_threadgroup_memory(); }
    };

    explicit Group(unsigned int lane_count)
        : lanes(lane_count),
          all(lane_count),
          end(lane_count, EndOfThreadgroup{this}),
          slots(lane_count * kSlotBytes),
          arena(new std::max_align_t[kThreadgroupArena / sizeof(std::max_align_t)]) {
        for (unsigned int first = 0; first < lane_count; first += kSimdWidth) {
            simd.push_back(std::make_unique<std::barrier<>>(
                    std::min(kSimdWidth, lane_count - first)));
        }
        reset_threadgroup_memory();
    }

    /**
     * Returns the memory of threadgroup variable `site` for the running threadgroup: allocated
     * and poisoned by the first lane that reaches the declaration, shared by the others.
     */
    void* threadgroup_allocate(unsigned int site, std::size_t size, std::size_t align,
            Dispatch& dispatch) {
        unsigned char* base = reinterpret_cast<unsigned char*>(arena.get());
        std::lock_guard<std::mutex> lock(memory_mutex);
        if (site >= kMaxThreadgroupSites) {
            dispatch.report(format("kernel %s: more than %u threadgroup variables",
                    dispatch.kernel, kMaxThreadgroupSites));
            return base;
        }
        if (site_offset[site] < 0) {
            const std::size_t offset = (used + align - 1) / align * align;
            if (offset + size > kThreadgroupArena) {
                dispatch.report(format("kernel %s: threadgroup memory over %zu bytes",
                        dispatch.kernel, kThreadgroupArena));
                return base;
            }
            site_offset[site] = static_cast<long>(offset);
            used = offset + size;
            if (used > kMaxThreadgroupMemory) {
                dispatch.report(format("kernel %s declares %zu bytes of threadgroup memory, more"
                        " than the %zu bytes of Apple GPUs", dispatch.kernel, used,
                        kMaxThreadgroupMemory));
            }
            std::memset(base + offset, kPoison, size);
        }
        return base + site_offset[site];
    }

    void reset_threadgroup_memory() {
        used = 0;
        for (long& offset : site_offset) {
            offset = -1;
        }
    }

    unsigned int lanes;
    std::barrier<> all;
    std::barrier<EndOfThreadgroup> end;
    std::vector<std::unique_ptr<std::barrier<>>> simd;
    std::vector<unsigned char> slots;
    std::unique_ptr<std::max_align_t[]> arena;
    std::mutex memory_mutex;
    std::size_t used = 0;
    long site_offset[kMaxThreadgroupSites];
};

/** A barrier over every lane of the current threadgroup (MSL threadgroup_barrier). */
inline void barrier_all() {
    current_lane->group->all.arrive_and_wait();
}

/**
 * Sums v over the lanes of the calling lane's SIMD group (MSL simd_sum): each lane publishes its
 * value in its slot, all wait, every lane adds the slots in lane order, all wait again before the
 * slots can be reused.
 */
template <typename T>
T simd_sum(T v) {
    static_assert(sizeof(T) <= kSlotBytes, "simd_sum operand too large for the emulator");
    Lane& lane = *current_lane;
    Group& group = *lane.group;
    std::barrier<>& simd = *group.simd[lane.sgid];
    std::memcpy(&group.slots[lane.lid * kSlotBytes], &v, sizeof(T));
    simd.arrive_and_wait();
    const unsigned int first = lane.sgid * kSimdWidth;
    const unsigned int width = std::min(kSimdWidth, group.lanes - first);
    T total = T(0);
    for (unsigned int i = 0; i < width; ++i) {
        T value;
        std::memcpy(&value, &group.slots[(first + i) * kSlotBytes], sizeof(T));
        total += value;
    }
    simd.arrive_and_wait();
    return total;
}

/** The memory of threadgroup variable `Site` (what the translator turns a declaration into). */
template <typename T, unsigned int Site>
T& threadgroup_memory() {
    Lane& lane = *current_lane;
    return *static_cast<T*>(
            lane.group->threadgroup_allocate(Site, sizeof(T), alignof(T), *lane.dispatch));
}

/** Zeroed storage handed out in place of an out-of-bounds element, so a fault stays harmless. */
template <typename T>
T& scratch() {
    static_assert(sizeof(T) <= 256, "element too large for the emulator's scratch slot");
    alignas(64) static thread_local unsigned char storage[256];
    std::memset(storage, 0, sizeof(storage));
    return *reinterpret_cast<T*>(storage);
}

/**
 * A pointer into a bound device or constant buffer (what the translator turns `device T*` and
 * `constant T*` into). It behaves like a raw pointer (arithmetic, indexing, comparison), but every
 * dereference is checked against the binding's length and alignment.
 */
template <typename T>
class device_ptr {
public:
    using element_type = T;

    device_ptr() = default;
    device_ptr(std::nullptr_t) {}

    device_ptr(const Binding* binding, const Param* param, std::int64_t offset)
        : binding_(binding), param_(param), offset_(offset) {}

    /** An implicit conversion that adds const (device T* to device const T*). */
    template <typename U,
            std::enable_if_t<std::is_convertible_v<U*, T*> && !std::is_same_v<U, T>, int> = 0>
    device_ptr(const device_ptr<U>& other)
        : binding_(other.binding()), param_(other.param()), offset_(other.offset()) {}

    /** A reinterpreting cast, as `(device uint16_t*) p` in MSL: keeps the byte position. */
    template <typename U, std::enable_if_t<!std::is_convertible_v<U*, T*>, int> = 0>
    explicit device_ptr(const device_ptr<U>& other)
        : binding_(other.binding()), param_(other.param()), offset_(other.offset()) {}

    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    T& operator[](I index) const {
        return at(static_cast<std::int64_t>(index));
    }

    T& operator*() const { return at(0); }
    T* operator->() const { return &at(0); }

    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    device_ptr operator+(I n) const {
        return device_ptr(binding_, param_,
                offset_ + static_cast<std::int64_t>(n) * static_cast<std::int64_t>(sizeof(T)));
    }

    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    friend device_ptr operator+(I n, const device_ptr& p) {
        return p + n;
    }

    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    device_ptr operator-(I n) const {
        return device_ptr(binding_, param_,
                offset_ - static_cast<std::int64_t>(n) * static_cast<std::int64_t>(sizeof(T)));
    }

    std::ptrdiff_t operator-(const device_ptr& other) const {
        return static_cast<std::ptrdiff_t>((offset_ - other.offset_) /
                static_cast<std::int64_t>(sizeof(T)));
    }

    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    device_ptr& operator+=(I n) {
        return *this = *this + n;
    }

    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    device_ptr& operator-=(I n) {
        return *this = *this - n;
    }

    device_ptr& operator++() { return *this += 1; }
    device_ptr& operator--() { return *this -= 1; }

    device_ptr operator++(int) {
        device_ptr before = *this;
        *this += 1;
        return before;
    }

    device_ptr operator--(int) {
        device_ptr before = *this;
        *this -= 1;
        return before;
    }

    bool operator==(const device_ptr& o) const {
        return binding_ == o.binding_ && offset_ == o.offset_;
    }
    bool operator!=(const device_ptr& o) const { return !(*this == o); }
    bool operator<(const device_ptr& o) const { return offset_ < o.offset_; }
    bool operator<=(const device_ptr& o) const { return offset_ <= o.offset_; }
    bool operator>(const device_ptr& o) const { return offset_ > o.offset_; }
    bool operator>=(const device_ptr& o) const { return offset_ >= o.offset_; }
    explicit operator bool() const { return binding_ != nullptr; }

    const Binding* binding() const { return binding_; }
    const Param* param() const { return param_; }
    std::int64_t offset() const { return offset_; }

private:
    T& at(std::int64_t index) const {
        const std::int64_t size = static_cast<std::int64_t>(sizeof(T));
        const std::int64_t byte = offset_ + index * size;
        Lane* lane = current_lane;
        if (binding_ == nullptr) {
            fault(lane, "access through a null device pointer");
            return scratch<T>();
        }
        const std::int64_t length = static_cast<std::int64_t>(binding_->length);
        if (byte < 0 || byte > length - size) {
            fault(lane, format("out-of-bounds access to bytes [%lld, %lld) of a %lld-byte"
                    " binding", static_cast<long long>(byte), static_cast<long long>(byte + size),
                    static_cast<long long>(length)));
            return scratch<T>();
        }
        if (byte % static_cast<std::int64_t>(alignof(T)) != 0) {
            fault(lane, format("misaligned access at byte %lld (alignment %zu)",
                    static_cast<long long>(byte), alignof(T)));
            return scratch<T>();
        }
        return *reinterpret_cast<T*>(static_cast<unsigned char*>(binding_->data) + byte);
    }

    void fault(Lane* lane, const std::string& what) const {
        if (lane == nullptr) {
            return;
        }
        Dispatch& d = *lane->dispatch;
        d.report(format("kernel %s, buffer(%u) (parameter `%s`): %s, by thread %u of threadgroup"
                " (%u, %u, %u)", d.kernel, param_ == nullptr ? 0u : param_->index,
                param_ == nullptr ? "?" : param_->name, what.c_str(), lane->lid, lane->tgid.x,
                lane->tgid.y, lane->tgid.z));
    }

    const Binding* binding_ = nullptr;
    const Param* param_ = nullptr;
    std::int64_t offset_ = 0;
};

template <typename P>
struct is_device_ptr : std::false_type {};

template <typename T>
struct is_device_ptr<device_ptr<T>> : std::true_type {};

/** The value of a thread-position attribute for one lane. */
inline Uint3 position(ParamKind kind, const Lane& lane) {
    const Dispatch& d = *lane.dispatch;
    const Uint3 t = d.threads;
    const Uint3 local{lane.lid % t.x, (lane.lid / t.x) % t.y, lane.lid / (t.x * t.y)};
    const unsigned int simdgroups = (t.x * t.y * t.z + kSimdWidth - 1) / kSimdWidth;
    switch (kind) {
        case ParamKind::threadgroup_position_in_grid:
            return lane.tgid;
        case ParamKind::thread_position_in_threadgroup:
            return local;
        case ParamKind::thread_index_in_threadgroup:
            return Uint3{lane.lid, 0, 0};
        case ParamKind::thread_position_in_grid:
            return Uint3{lane.tgid.x * t.x + local.x, lane.tgid.y * t.y + local.y,
                    lane.tgid.z * t.z + local.z};
        case ParamKind::threads_per_threadgroup:
            return t;
        case ParamKind::threadgroups_per_grid:
            return d.grid;
        case ParamKind::simdgroup_index_in_threadgroup:
            return Uint3{lane.sgid, 0, 0};
        case ParamKind::thread_index_in_simdgroup:
            return Uint3{lane.slid, 0, 0};
        case ParamKind::simdgroups_per_threadgroup:
            return Uint3{simdgroups, 0, 0};
        case ParamKind::threads_per_simdgroup:
            return Uint3{kSimdWidth, 0, 0};
        default:
            return Uint3{0, 0, 0};
    }
}

/** Binds one kernel parameter of type P described by `param` for a lane. */
template <typename P>
P bind_argument(const Param& param, const Lane& lane) {
    if constexpr (is_device_ptr<P>::value) {
        return P(lane.dispatch->binding(param.index), &param, 0);
    } else if constexpr (std::is_reference_v<P>) {
        using Pointee = std::remove_reference_t<P>;
        const Binding* binding = lane.dispatch->binding(param.index);
        if (binding == nullptr || binding->length < sizeof(Pointee)) {
            // Checked before the dispatch started (validate_binding); never reached in practice.
            return scratch<std::remove_cv_t<Pointee>>();
        }
        return *static_cast<Pointee*>(binding->data);
    } else if constexpr (std::is_same_v<P, Uint3>) {
        return position(param.kind, lane);
    } else {
        static_assert(std::is_integral_v<P>, "a thread-position parameter must be uint or uint3");
        return static_cast<P>(position(param.kind, lane).x);
    }
}

/** Checks, before any lane runs, that parameter I is bound as its attribute and type require. */
template <typename B, typename P, std::size_t I>
bool validate_binding(Dispatch& d) {
    constexpr Param param = B::params[I];
    if constexpr (is_device_ptr<P>::value || std::is_reference_v<P>) {
        static_assert(param.kind == ParamKind::buffer,
                "a device or constant parameter needs a [[buffer(i)]] attribute");
        const Binding* binding = d.binding(param.index);
        if (binding == nullptr) {
            d.report(format("kernel %s: buffer(%u) (parameter `%s`) is not bound", d.kernel,
                    param.index, param.name));
            return false;
        }
        if constexpr (std::is_reference_v<P>) {
            using Pointee = std::remove_cv_t<std::remove_reference_t<P>>;
            if (binding->length < sizeof(Pointee)) {
                d.report(format("kernel %s: buffer(%u) (parameter `%s`) holds %llu bytes, the"
                        " kernel reads %zu", d.kernel, param.index, param.name,
                        static_cast<unsigned long long>(binding->length), sizeof(Pointee)));
                return false;
            }
            if (reinterpret_cast<std::uintptr_t>(binding->data) % alignof(Pointee) != 0) {
                d.report(format("kernel %s: buffer(%u) (parameter `%s`) is misaligned", d.kernel,
                        param.index, param.name));
                return false;
            }
        }
    } else {
        static_assert(param.kind != ParamKind::buffer && param.kind != ParamKind::none,
                "a [[buffer(i)]] parameter must be a device or constant pointer or reference");
    }
    return true;
}

template <typename B, typename... A, std::size_t... I>
bool validate_kernel(void (*)(A...), Dispatch& d, std::index_sequence<I...>) {
    return (validate_binding<B, A, I>(d) && ...);
}

template <typename B, typename... A, std::size_t... I>
void call_kernel(void (*kernel)(A...), const Lane& lane, std::index_sequence<I...>) {
    kernel(bind_argument<A>(B::params[I], lane)...);
}

/** Calls a kernel for one lane, binding each parameter as its attribute says. */
template <typename B, typename... A>
void call_kernel(void (*kernel)(A...), const Lane& lane) {
    static_assert(sizeof...(A) == B::count, "the binding table does not match the kernel");
    call_kernel<B>(kernel, lane, std::index_sequence_for<A...>{});
}

template <typename B, auto Kernel>
void invoke_kernel(const Lane& lane) {
    call_kernel<B>(Kernel, lane);
}

/**
 * The lane threads: created on first use, grown to the largest threadgroup seen, parked between
 * dispatches and reused, so a dispatch costs no thread creation. The pool is intentionally never
 * destroyed (its threads simply end with the process).
 */
class LanePool {
public:
    static LanePool& instance() {
        static LanePool* pool = new LanePool();
        return *pool;
    }

    /**
     * Runs `function` on lanes [0, lanes) and returns once every lane has finished; returns false
     * when the lane threads could not be started. Calls are serialized.
     */
    bool run(unsigned int lanes, void (*function)(void*, unsigned int), void* context) {
        std::lock_guard<std::mutex> serial(dispatch_mutex_);
        std::unique_lock<std::mutex> lock(mutex_);
        try {
            while (workers_.size() < lanes) {
                const unsigned int index = static_cast<unsigned int>(workers_.size());
                workers_.emplace_back([this, index] { work(index); });
                workers_.back().detach();
            }
        } catch (...) {
            return false;
        }
        function_ = function;
        context_ = context;
        active_ = lanes;
        remaining_ = lanes;
        ++generation_;
        start_.notify_all();
        done_.wait(lock, [this] { return remaining_ == 0; });
        return true;
    }

private:
    LanePool() = default;

    void work(unsigned int index) {
        unsigned long long seen = 0;
        for (;;) {
            void (*function)(void*, unsigned int);
            void* context;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                start_.wait(lock, [&] { return generation_ != seen && index < active_; });
                seen = generation_;
                function = function_;
                context = context_;
            }
            function(context, index);
            std::lock_guard<std::mutex> lock(mutex_);
            if (--remaining_ == 0) {
                done_.notify_one();
            }
        }
    }

    std::mutex dispatch_mutex_;
    std::mutex mutex_;
    std::condition_variable start_;
    std::condition_variable done_;
    std::vector<std::thread> workers_;
    unsigned long long generation_ = 0;
    unsigned int active_ = 0;
    unsigned int remaining_ = 0;
    void (*function_)(void*, unsigned int) = nullptr;
    void* context_ = nullptr;
};

/** Runs lane `lid` over every threadgroup of the grid, in the same order on every lane. */
inline void run_lane(void* context, unsigned int lid) {
    Dispatch& dispatch = *static_cast<Dispatch*>(context);
    Lane lane{&dispatch, dispatch.group, lid, lid / kSimdWidth, lid % kSimdWidth, {0, 0, 0}};
    current_lane = &lane;
    for (unsigned int z = 0; z < dispatch.grid.z; ++z) {
        for (unsigned int y = 0; y < dispatch.grid.y; ++y) {
            for (unsigned int x = 0; x < dispatch.grid.x; ++x) {
                lane.tgid = Uint3{x, y, z};
                dispatch.invoke(lane);
                // Every lane is done with this threadgroup; the barrier's completion step frees
                // its threadgroup memory, so the next threadgroup gets freshly poisoned memory.
                dispatch.group->end.arrive_and_wait();
            }
        }
    }
    current_lane = nullptr;
}

inline void copy_message(const std::string& text, char* message, unsigned int capacity) {
    if (message != nullptr && capacity > 0) {
        std::snprintf(message, capacity, "%s", text.c_str());
    }
}

/**
 * Runs every threadgroup of a grid, one threadgroup at a time, each with one pooled thread per
 * lane, after checking the bindings the kernel's attributes ask for.
 *
 * @param name the kernel's host name, for messages
 * @param bindings the argument table, indexed as the kernel's [[buffer(i)]] attributes
 * @param count the entries of the argument table
 * @param dims grid x, y, z then threads per threadgroup x, y, z
 * @param message receives the reason when the status is not kOk
 * @param capacity the size of message
 * @return a Status
 */
template <typename B, auto Kernel>
int run_kernel(const char* name, const Binding* bindings, unsigned int count,
        const unsigned int* dims, char* message, unsigned int capacity) {
    Dispatch dispatch;
    dispatch.kernel = name;
    dispatch.bindings = bindings;
    dispatch.count = count;
    dispatch.grid = Uint3{dims[0], dims[1], dims[2]};
    dispatch.threads = Uint3{dims[3], dims[4], dims[5]};
    const unsigned long long lane_count =
            static_cast<unsigned long long>(dims[3]) * dims[4] * dims[5];
    if (lane_count == 0 || lane_count > 1024 || dims[0] == 0 || dims[1] == 0 || dims[2] == 0) {
        copy_message(format("kernel %s: bad grid %ux%ux%u of threadgroups %ux%ux%u", name,
                dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]), message, capacity);
        return kBadGrid;
    }
    if (!validate_kernel<B>(Kernel, dispatch,
                std::make_index_sequence<B::count>{})) {
        copy_message(dispatch.fault, message, capacity);
        return kBadBinding;
    }
    Group group(static_cast<unsigned int>(lane_count));
    dispatch.group = &group;
    dispatch.invoke = &invoke_kernel<B, Kernel>;
    if (!LanePool::instance().run(static_cast<unsigned int>(lane_count), &run_lane, &dispatch)) {
        copy_message("cannot start the lane threads", message, capacity);
        return kNoThreads;
    }
    if (dispatch.faulted.load()) {
        std::lock_guard<std::mutex> lock(dispatch.fault_mutex);
        copy_message(dispatch.fault, message, capacity);
        return kFault;
    }
    return kOk;
}

}  // namespace djlm
