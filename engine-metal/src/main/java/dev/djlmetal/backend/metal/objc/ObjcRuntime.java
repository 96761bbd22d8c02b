package dev.djlmetal.backend.metal.objc;

import com.sun.jna.FunctionMapper;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.Map;

/**
 * {@code libobjc} as seen from Java. {@code objc_msgSend} is bound once per call shape used by the
 * device layer, each with its exact C prototype: on arm64 variadic arguments travel on the stack,
 * so calling {@code objc_msgSend} as a variadic function would pass garbage. Every method whose
 * name starts with {@code msgSend} maps to the {@code objc_msgSend} symbol.
 *
 * <p>Argument names follow Objective-C: {@code self} is the receiver, {@code cmd} the selector.
 */
interface ObjcRuntime extends Library {

    /**
     * Loads the runtime, mapping every {@code msgSend...} method to {@code objc_msgSend}.
     *
     * @param path the runtime library ({@link AppleLibraries#DEFAULT_RUNTIME} on macOS)
     * @return the bound runtime
     */
    static ObjcRuntime load(String path) {
        FunctionMapper mapper =
                (library, method) ->
                        method.getName().startsWith("msgSend") ? "objc_msgSend" : method.getName();
        return Native.load(
                path,
                ObjcRuntime.class,
                Map.of(
                        Library.OPTION_FUNCTION_MAPPER,
                        mapper,
                        Library.OPTION_STRING_ENCODING,
                        "UTF-8"));
    }

    /**
     * {@code Class objc_getClass(const char *name)}.
     *
     * @param name the class name
     * @return the class, or null
     */
    Pointer objc_getClass(String name);

    /**
     * {@code SEL sel_registerName(const char *name)}.
     *
     * @param name the selector name
     * @return the selector
     */
    Pointer sel_registerName(String name);

    /**
     * {@code void *objc_autoreleasePoolPush(void)}.
     *
     * @return the pool token
     */
    Pointer objc_autoreleasePoolPush();

    /**
     * {@code void objc_autoreleasePoolPop(void *pool)}.
     *
     * @param pool the token returned by the matching push
     */
    void objc_autoreleasePoolPop(Pointer pool);

    /**
     * {@code id (id, SEL)}: getters returning objects or C pointers, {@code new}, {@code retain}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @return the result
     */
    Pointer msgSendPointer(Pointer self, Pointer cmd);

    /**
     * {@code id (id, SEL, const char *)}: {@code +[NSString stringWithUTF8String:]}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param text the UTF-8 text
     * @return the result
     */
    Pointer msgSendPointer(Pointer self, Pointer cmd, String text);

    /**
     * {@code id (id, SEL, id)}: {@code newFunctionWithName:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param arg the object argument
     * @return the result
     */
    Pointer msgSendPointer(Pointer self, Pointer cmd, Pointer arg);

    /**
     * {@code id (id, SEL, id, NSError **)}: {@code newComputePipelineStateWithFunction:error:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param arg the object argument
     * @param error receives an autoreleased NSError on failure
     * @return the result, or null on failure
     */
    Pointer msgSendPointer(Pointer self, Pointer cmd, Pointer arg, PointerByReference error);

    /**
     * {@code id (id, SEL, id, id, NSError **)}: {@code newLibraryWithSource:options:error:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param arg1 the first object argument
     * @param arg2 the second object argument (may be null)
     * @param error receives an autoreleased NSError on failure
     * @return the result, or null on failure
     */
    Pointer msgSendPointer(
            Pointer self, Pointer cmd, Pointer arg1, Pointer arg2, PointerByReference error);

    /**
     * {@code id (id, SEL, NSUInteger, NSUInteger)}: {@code newBufferWithLength:options:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param arg1 the first integer
     * @param arg2 the second integer
     * @return the result
     */
    Pointer msgSendPointer(Pointer self, Pointer cmd, long arg1, long arg2);

    /**
     * {@code BOOL (id, SEL, SEL)}: {@code respondsToSelector:}. {@code BOOL} is one byte ({@code
     * signed char} on x86_64, {@code bool} on arm64).
     *
     * @param self the receiver
     * @param cmd the selector
     * @param selector the selector asked about
     * @return non-zero when the receiver responds
     */
    byte msgSendByte(Pointer self, Pointer cmd, Pointer selector);

    /**
     * {@code NSUInteger (id, SEL)} or {@code NSInteger (id, SEL)}: integer getters.
     *
     * @param self the receiver
     * @param cmd the selector
     * @return the result
     */
    long msgSendLong(Pointer self, Pointer cmd);

    /**
     * {@code void (id, SEL)}: {@code endEncoding}, {@code commit}, {@code waitUntilCompleted},
     * {@code release}.
     *
     * @param self the receiver
     * @param cmd the selector
     */
    void msgSendVoid(Pointer self, Pointer cmd);

    /**
     * {@code void (id, SEL, id)}: {@code setComputePipelineState:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param arg the object argument
     */
    void msgSendVoid(Pointer self, Pointer cmd, Pointer arg);

    /**
     * {@code void (id, SEL, BOOL)}: {@code setFastMathEnabled:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param value 0 (NO) or 1 (YES)
     */
    void msgSendVoid(Pointer self, Pointer cmd, byte value);

    /**
     * {@code void (id, SEL, NSInteger)}: {@code setMathMode:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param value the integer
     */
    void msgSendVoid(Pointer self, Pointer cmd, long value);

    /**
     * {@code void (id, SEL, id, NSUInteger, NSUInteger)}: {@code setBuffer:offset:atIndex:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param arg the object argument
     * @param arg1 the first integer
     * @param arg2 the second integer
     */
    void msgSendVoid(Pointer self, Pointer cmd, Pointer arg, long arg1, long arg2);

    /**
     * {@code void (id, SEL, const void *, NSUInteger, NSUInteger)}: {@code
     * setBytes:length:atIndex:}.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param bytes the bytes (copied by the callee)
     * @param arg1 the first integer
     * @param arg2 the second integer
     */
    void msgSendVoid(Pointer self, Pointer cmd, byte[] bytes, long arg1, long arg2);

    /**
     * {@code void (id, SEL, MTLSize, MTLSize)}: {@code
     * dispatchThreadgroups:threadsPerThreadgroup:}, both structs by value.
     *
     * @param self the receiver
     * @param cmd the selector
     * @param size1 the first size
     * @param size2 the second size
     */
    void msgSendVoid(Pointer self, Pointer cmd, MtlSize.ByValue size1, MtlSize.ByValue size2);
}
