package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Helpers over one loaded {@link ObjcRuntime}: cached selectors, object creation, NSString
 * conversion, retain/release and autorelease pools. Apple's naming rule decides ownership:
 * selectors starting with {@code new}, {@code alloc} or {@code copy} return a +1 reference the
 * caller releases; anything else returns an object the caller does not own, often autoreleased. The
 * device layer therefore sends every message inside an autorelease pool ({@link #withPool}).
 */
final class Objc {

    private final ObjcRuntime runtime;
    private final Map<String, Pointer> selectors = new ConcurrentHashMap<>();

    Objc(ObjcRuntime runtime) {
        this.runtime = runtime;
    }

    ObjcRuntime rt() {
        return runtime;
    }

    Pointer sel(String name) {
        return selectors.computeIfAbsent(name, runtime::sel_registerName);
    }

    Pointer cls(String name) {
        Pointer cls = runtime.objc_getClass(name);
        if (cls == null) {
            throw new IllegalStateException("Objective-C class " + name + " is not loaded");
        }
        return cls;
    }

    /** Returns {@code [ClassName new]}, a +1 reference the caller releases. */
    Pointer newObject(String className) {
        Pointer object = runtime.msgSendPointer(cls(className), sel("new"));
        if (object == null) {
            throw new IllegalStateException("[" + className + " new] returned nil");
        }
        return object;
    }

    /** Returns an autoreleased NSString; call inside an autorelease pool. */
    Pointer nsString(String text) {
        return runtime.msgSendPointer(cls("NSString"), sel("stringWithUTF8String:"), text);
    }

    /** Returns the text of an NSString, or null for a null object. */
    String toJava(Pointer nsString) {
        if (nsString == null) {
            return null;
        }
        Pointer utf8 = runtime.msgSendPointer(nsString, sel("UTF8String"));
        return utf8 == null ? null : utf8.getString(0, "UTF-8");
    }

    /** Returns an NSError's localized description, or a fallback when there is no error object. */
    String describeError(Pointer nsError, String fallback) {
        if (nsError == null) {
            return fallback;
        }
        String text = toJava(runtime.msgSendPointer(nsError, sel("localizedDescription")));
        return text == null ? fallback : text;
    }

    /** Returns whether an object responds to a selector ({@code respondsToSelector:}). */
    boolean respondsTo(Pointer object, String selector) {
        return runtime.msgSendByte(object, sel("respondsToSelector:"), sel(selector)) != 0;
    }

    /** Adds a reference to an object; call inside an autorelease pool. */
    void retain(Pointer object) {
        runtime.msgSendPointer(object, sel("retain"));
    }

    /** Drops a reference to an object (nothing for null); call inside an autorelease pool. */
    void release(Pointer object) {
        if (object != null) {
            runtime.msgSendVoid(object, sel("release"));
        }
    }

    /** Runs an action inside its own autorelease pool, popped even when the action throws. */
    <T> T withPool(Supplier<T> action) {
        Pointer pool = runtime.objc_autoreleasePoolPush();
        try {
            return action.get();
        } finally {
            runtime.objc_autoreleasePoolPop(pool);
        }
    }

    /** Runs an action inside its own autorelease pool, popped even when the action throws. */
    void inPool(Runnable action) {
        withPool(
                () -> {
                    action.run();
                    return null;
                });
    }
}
