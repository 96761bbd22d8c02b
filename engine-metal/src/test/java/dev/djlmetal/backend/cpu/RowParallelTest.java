package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class RowParallelTest {

    @Test
    void everyRowRunsExactlyOnceInAlignedRanges() {
        int[][] cases = {{1, 16}, {17, 16}, {1000, 8}, {4099, 16}, {64, 1}};
        for (int[] c : cases) {
            int rows = c[0];
            int align = c[1];
            for (int repeat = 0; repeat < 50; repeat++) {
                AtomicIntegerArray visits = new AtomicIntegerArray(rows);
                RowParallel.forRows(
                        rows,
                        align,
                        1 << 20,
                        (n0, n1) -> {
                            assertTrue(n0 % align == 0, "range starts at " + n0);
                            for (int n = n0; n < n1; n++) {
                                visits.incrementAndGet(n);
                            }
                        });
                for (int n = 0; n < rows; n++) {
                    assertEquals(1, visits.get(n), "rows " + rows + ", row " + n);
                }
            }
        }
    }

    @Test
    void aFailingRangeFailsTheCallWithItsException() {
        for (int failing : new int[] {0, 511, 1023}) {
            IllegalStateException thrown =
                    assertThrows(
                            IllegalStateException.class,
                            () ->
                                    RowParallel.forRows(
                                            1024,
                                            16,
                                            1 << 20,
                                            (n0, n1) -> {
                                                if (n0 <= failing && failing < n1) {
                                                    throw new IllegalStateException(
                                                            "row " + failing);
                                                }
                                            }));
            assertEquals("row " + failing, thrown.getMessage());
        }
    }
}
