package featurealign.train;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The kit's Adam follows torch.optim.Adam's update rule, including where ε goes, and resumes exactly. */
class AdamTest {

    /** torch.optim.Adam for one scalar, written out from its documentation. */
    static double[] reference(double p, double[] grads, double lr, double b1, double b2, double eps) {
        double m = 0, v = 0;
        double[] out = new double[grads.length];
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double mHat = m / (1 - Math.pow(b1, t)), vHat = v / (1 - Math.pow(b2, t));
            p = p - lr * mHat / (Math.sqrt(vHat) + eps);
            out[t - 1] = p;
        }
        return out;
    }

    @Test
    void matchesTheTorchRuleIncludingTinyGradients() {
        Random r = new Random(1);
        int n = 6, steps = 7;
        double[] p0 = new double[n];
        double[][] g = new double[steps][n];
        for (int i = 0; i < n; i++) p0[i] = r.nextGaussian();
        for (int t = 0; t < steps; t++) for (int i = 0; i < n; i++) g[t][i] = r.nextGaussian() * (i < 2 ? 1e-9 : 1);
        INDArray p = Nd4j.createFromArray(p0.clone());
        Adam adam = new Adam(1e-2, 0.5, 0.999, 1e-8);
        for (int t = 0; t < steps; t++) adam.update(Map.of("p", p), Map.of("p", Nd4j.createFromArray(g[t].clone())));
        for (int i = 0; i < n; i++) {
            double[] col = new double[steps];
            for (int t = 0; t < steps; t++) col[t] = g[t][i];
            double expected = reference(p0[i], col, 1e-2, 0.5, 0.999, 1e-8)[steps - 1];
            assertEquals(expected, p.getDouble(i), 1e-12, "entry " + i);
        }
    }

    @Test
    void theGradientArrayReceivesTheUpdateAndViewsAreRefused() {
        INDArray p = Nd4j.createFromArray(1.0, 2.0), g = Nd4j.createFromArray(0.5, -0.5);
        new Adam(0.1, 0.9, 0.999, 1e-8).update(Map.of("p", p), Map.of("p", g));
        // First step: the update is lr·sign(g) up to ε, and p moved by exactly that.
        assertEquals(0.1, g.getDouble(0), 1e-6);
        assertEquals(-0.1, g.getDouble(1), 1e-6);
        assertEquals(1.0 - g.getDouble(0), p.getDouble(0), 0.0);
        INDArray wide = Nd4j.zeros(DataType.DOUBLE, 2, 2);
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.1, 0.9, 0.999, 1e-8)
                .update(Map.of("p", Nd4j.zeros(DataType.DOUBLE, 2)), Map.of("p", wide.getRow(0))));
    }

    @Test
    void restoredStateContinuesExactly() {
        INDArray a = Nd4j.rand(DataType.DOUBLE, 3, 4), b = a.dup();
        Adam one = new Adam(1e-3, 0.9, 0.999, 1e-8), two = new Adam(1e-3, 0.9, 0.999, 1e-8);
        Nd4j.getRandom().setSeed(5);
        INDArray[] grads = {Nd4j.randn(DataType.DOUBLE, 3, 4), Nd4j.randn(DataType.DOUBLE, 3, 4), Nd4j.randn(DataType.DOUBLE, 3, 4)};
        for (INDArray gr : grads) one.update(Map.of("w", a), Map.of("w", gr.dup())); // update consumes gradients
        two.update(Map.of("w", b), Map.of("w", grads[0]));
        Adam three = new Adam(1e-3, 0.9, 0.999, 1e-8);
        three.restore(two.state());
        three.update(Map.of("w", b), Map.of("w", grads[1]));
        three.update(Map.of("w", b), Map.of("w", grads[2]));
        assertEquals(3, three.step());
        assertEquals(0.0, a.sub(b).amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void badSettingsAndShapesAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> new Adam(0, 0.5, 0.999, 1e-8));
        Adam adam = new Adam(1e-3, 0.5, 0.999, 1e-8);
        var e = assertThrows(IllegalArgumentException.class,
                () -> adam.update(Map.of("w", Nd4j.zeros(2, 2)), Map.of("w", Nd4j.zeros(3))));
        assertTrue(e.getMessage().contains("w"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> adam.update(Map.of("w", Nd4j.zeros(2)), Map.of()));
        assertTrue(missing.getMessage().contains("no gradient for parameter w"), missing.getMessage());
    }
}
