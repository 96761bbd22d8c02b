package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Row splitting over several threads, whatever this machine's processor count. */
class RowParallelTest {

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3, 8})
    void everyRowRunsExactlyOnceInAlignedRanges(int threads) {
        RowParallel parallel = RowParallel.withThreads(threads);
        assertEquals(threads, parallel.threads());
        int[][] cases = {{1, 16}, {17, 16}, {1000, 8}, {4099, 16}, {64, 1}};
        for (int[] c : cases) {
            int rows = c[0];
            int align = c[1];
            for (int repeat = 0; repeat < 50; repeat++) {
                AtomicIntegerArray visits = new AtomicIntegerArray(rows);
                parallel.forRows(
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
    void severalThreadsRunPiecesWhateverTheProcessorCount() throws Exception {
        RowParallel parallel = RowParallel.withThreads(4);
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch allStarted = new CountDownLatch(2);
        // Each piece waits (bounded) until a second thread has entered a piece too, so the call
        // can only finish early if the helpers never start.
        parallel.forRows(
                64,
                1,
                1 << 20,
                (n0, n1) -> {
                    if (seen.add(Thread.currentThread())) {
                        allStarted.countDown();
                    }
                    try {
                        allStarted.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        assertTrue(seen.size() >= 2, "threads that ran pieces: " + seen);
    }

    @Test
    void threadCountsAreValidated() {
        assertEquals(3, RowParallel.threads("3", "x"));
        assertEquals(Runtime.getRuntime().availableProcessors(), RowParallel.threads(null, "x"));
        for (String bad : new String[] {"0", "-2", "two"}) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> RowParallel.threads(bad, "cpu.threads"));
            assertTrue(e.getMessage().contains("cpu.threads"), e.getMessage());
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> RowParallel.withThreads(0));
    }

    @Test
    void aFailingRangeFailsTheCallWithItsException() {
        RowParallel parallel = RowParallel.withThreads(3);
        for (int failing : new int[] {0, 511, 1023}) {
            IllegalStateException thrown =
                    assertThrows(
                            IllegalStateException.class,
                            () ->
                                    parallel.forRows(
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
