package featurealign;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.function.DoubleUnaryOperator;

/**
 * Central finite differences against analytic gradients, one parameter tensor at a time: for a random unit direction
 * d over the whole tensor and for one random single entry, (L(θ + h·d) − L(θ − h·d)) / 2h against ⟨∇L, d⟩. Accumulates
 * the overall relative error ‖analytic − fd‖ / ‖fd‖ and the worst single relative error. Random directions come from
 * ND4J's generator (seed it first), entries from {@code pick}.
 */
public final class GradientCheck {
    private final double h;
    private final Random pick;
    private final DoubleUnaryOperator floor;
    private double worst, sumSqDiff, sumSqRef;
    private String worstAt = "";
    private int checked;

    /**
     * @param h     the step
     * @param pick  chooses the single entry of each tensor
     * @param floor the smallest denominator of a single relative error, as a function of the loss (so that
     *              finite-difference noise, about ε·L/h, on near-zero entries does not count as an error)
     */
    public GradientCheck(double h, Random pick, DoubleUnaryOperator floor) {
        this.h = h;
        this.pick = pick;
        this.floor = floor;
    }

    /** Checks one parameter tensor {@code p} (perturbed in place, then restored) against its gradient {@code g}. */
    public void check(String name, INDArray p, INDArray g, DoubleSupplier loss) {
        INDArray direction = Nd4j.randn(DataType.DOUBLE, p.shape());
        INDArray single = Nd4j.zeros(DataType.DOUBLE, p.shape());
        single.putScalar((long) (pick.nextDouble() * p.length()), 1.0);
        for (INDArray d : List.of(direction.divi(direction.norm2Number()), single)) {
            INDArray orig = p.dup();
            p.addi(d.mul(h));
            double up = loss.getAsDouble();
            p.assign(orig).subi(d.mul(h));
            double down = loss.getAsDouble();
            p.assign(orig);
            double fd = (up - down) / (2 * h), an = g.mul(d).sumNumber().doubleValue();
            double err = Math.abs(an - fd) / Math.max(Math.max(Math.abs(an), Math.abs(fd)), floor.applyAsDouble(up));
            if (err > worst) {
                worst = err;
                worstAt = name + " analytic " + an + " fd " + fd;
            }
            sumSqDiff += (an - fd) * (an - fd);
            sumSqRef += fd * fd;
            checked++;
        }
    }

    /** ‖analytic − fd‖ / ‖fd‖ over every direction checked. */
    public double overall() { return Math.sqrt(sumSqDiff / sumSqRef); }

    public double worst() { return worst; }

    public String worstAt() { return worstAt; }

    /** Directions checked (two per tensor). */
    public int checked() { return checked; }

    /** Σ fd²: near zero means the check saw no gradient at all. */
    public double sumOfSquaredReferences() { return sumSqRef; }
}
