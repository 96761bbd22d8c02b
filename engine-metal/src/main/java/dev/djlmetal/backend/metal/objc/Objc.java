package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Small helpers over {@link ObjcRuntime}: cached selectors, NSString conversion, retain/release.
 */
final class Objc {

    private static final Map<String, Pointer> SELECTORS = new ConcurrentHashMap<>();

    private Objc() {}

    static ObjcRuntime rt() {
        return ObjcRuntime.INSTANCE;
    }

    static Pointer sel(String name) {
        return SELECTORS.computeIfAbsent(name, rt()::sel_registerName);
    }

    static Pointer cls(String name) {
        Pointer cls = rt().objc_getClass(name);
        if (cls == null) {
            throw new IllegalStateException("Objective-C class " + name + " is not loaded");
        }
        return cls;
    }

    /** Returns an autoreleased NSString; call inside an autorelease pool. */
    static Pointer nsString(String text) {
        return rt().msgSendPointer(cls("NSString"), sel("stringWithUTF8String:"), text);
    }

    /** Returns the text of an NSString, or null for a null object. */
    static String toJava(Pointer nsString) {
        if (nsString == null) {
            return null;
        }
        Pointer utf8 = rt().msgSendPointer(nsString, sel("UTF8String"));
        return utf8 == null ? null : utf8.getString(0, "UTF-8");
    }

    /** Returns an NSError's localized description, or a fallback when there is no error object. */
    static String describeError(Pointer nsError, String fallback) {
        if (nsError == null) {
            return fallback;
        }
        String text = toJava(rt().msgSendPointer(nsError, sel("localizedDescription")));
        return text == null ? fallback : text;
    }

    static void release(Pointer object) {
        if (object != null) {
            rt().msgSendVoid(object, sel("release"));
        }
    }

    /** Runs an action inside its own autorelease pool. */
    static <T> T withPool(Supplier<T> action) {
        Pointer pool = rt().objc_autoreleasePoolPush();
        try {
            return action.get();
        } finally {
            rt().objc_autoreleasePoolPop(pool);
        }
    }
}
