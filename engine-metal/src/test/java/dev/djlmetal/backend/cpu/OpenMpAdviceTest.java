package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OpenMpAdviceTest {

    @Test
    void advisesUnlessTheWaitPolicyIsPassive() {
        assertTrue(OpenMpAdvice.applies(null));
        assertTrue(OpenMpAdvice.applies("ACTIVE"));
        assertTrue(OpenMpAdvice.applies(""));
        assertFalse(OpenMpAdvice.applies("PASSIVE"));
        assertFalse(OpenMpAdvice.applies(" passive "));
    }
}
