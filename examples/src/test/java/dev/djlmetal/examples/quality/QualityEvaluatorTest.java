package dev.djlmetal.examples.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

/** The scoring arithmetic of {@link QualityEvaluator} and the table layout, without a model. */
class QualityEvaluatorTest {

    @Test
    void negativeLogLikelihoodIsTheLogSoftmaxOfTheTarget() {
        // row [0, ln 3] at offset 2: softmax = [1/4, 3/4]
        float[] logits = {9f, 9f, 0f, (float) Math.log(3)};
        assertEquals(Math.log(4), QualityEvaluator.negativeLogLikelihood(logits, 2, 2, 0), 1e-6);
        assertEquals(
                Math.log(4.0 / 3), QualityEvaluator.negativeLogLikelihood(logits, 2, 2, 1), 1e-6);
        // large logits do not overflow
        float[] large = {1000f, 1000f};
        assertEquals(Math.log(2), QualityEvaluator.negativeLogLikelihood(large, 0, 2, 1), 1e-6);
    }

    @Test
    void argmaxTakesTheFirstLargestOfTheRow() {
        float[] logits = {5f, 1f, 3f, 3f, 2f};
        assertEquals(1, QualityEvaluator.argmax(logits, 1, 4));
        assertEquals(0, QualityEvaluator.argmax(logits, 0, 2));
    }

    @Test
    void markdownRowsCompareWithFloat32() {
        String table =
                QualityTable.markdown(
                        "title",
                        List.of(
                                new QualityResult(0, 0, 4.0, 1.0, 0, 100),
                                new QualityResult(4, 64, 4.2, 0.955, 28, 100)));
        assertTrue(table.contains("| float32 | - | 0 | 4.0000 | - | 100.00% |"), table);
        assertTrue(table.contains("| 4 | 64 | 28 | 4.2000 | +5.00% | 95.50% |"), table);
    }
}
