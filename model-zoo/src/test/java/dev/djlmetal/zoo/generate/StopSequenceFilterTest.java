package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopSequenceFilterTest {

    @Test
    void cutsAtStopSequenceSplitAcrossPieces() {
        StopSequenceFilter filter = new StopSequenceFilter(List.of("END"));
        StringBuilder out = new StringBuilder();
        for (String piece : new String[] {"Hello", " wor", "ld E", "N", "D and more"}) {
            out.append(filter.append(piece));
        }
        assertTrue(filter.isStopped());
        out.append(filter.finish());
        assertEquals("Hello world ", out.toString());
    }

    @Test
    void releasesFalseStartsAndEarliestStopWins() {
        StopSequenceFilter filter = new StopSequenceFilter(List.of("\n\n", "bye"));
        assertEquals("a", filter.append("a\n"));
        assertEquals("\n", filter.append("b"));
        assertEquals("b", filter.append("b"));
        assertEquals("", filter.append("y"));
        assertEquals("byx", filter.append("xbye\n\n"));
        assertTrue(filter.isStopped());
        assertEquals("", filter.finish());
        assertEquals("a\nbbyx", filter.text());
    }

    @Test
    void noStopSequencesPassesEverything() {
        StopSequenceFilter filter = new StopSequenceFilter(List.of());
        assertEquals("abc", filter.append("abc"));
        assertEquals("", filter.finish());
        assertFalse(filter.isStopped());
    }
}
