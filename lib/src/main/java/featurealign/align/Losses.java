package featurealign.align;

import org.nd4j.autodiff.samediff.SDVariable;

/** The paper's losses as graph ops. Every loss is a sum over batch and elements, never a mean (docs/method.md §4). */
public final class Losses {
    private Losses() {}

    /** RL = ½ Σ (x − x̂)², a scalar. */
    public static SDVariable reconstruction(SDVariable x, SDVariable xHat) {
        SDVariable d = x.sub(xHat);
        return d.mul(d).sum().mul(0.5);
    }

    /** Σ |a − b| over batch and elements, a scalar (the L1 anchor of the residual refiner, docs/method.md §14). */
    public static SDVariable absoluteDistance(SDVariable a, SDVariable b) {
        return a.getSameDiff().math().abs(a.sub(b)).sum();
    }

    /** KL_i = −½ Σ_j (1 + ℓ_ij − μ_ij² − exp ℓ_ij), one value per sample: {@code [batch]}. */
    public static SDVariable klPerSample(SDVariable mu, SDVariable logVar) {
        SDVariable inner = logVar.add(1.0).sub(mu.mul(mu)).sub(mu.getSameDiff().math().exp(logVar));
        return inner.sum(1).mul(-0.5);
    }

    /** Σ_i β_i KL_i with per-sample weights β {@code [batch]}. */
    public static SDVariable weightedKl(SDVariable klPerSample, SDVariable beta) {
        return klPerSample.mul(beta).sum();
    }

    /** Least-squares GAN term ½ Σ (target − d)², with target +1 for real and −1 for fake (docs/method.md §5). */
    public static SDVariable leastSquares(SDVariable critic, double target) {
        SDVariable d = critic.rsub(target);
        return d.mul(d).sum().mul(0.5);
    }

    /** ½ Σ (target − d)² with the target as a graph value (a placeholder of shape [1], broadcast). */
    public static SDVariable leastSquares(SDVariable critic, SDVariable target) {
        SDVariable d = target.sub(critic);
        return d.mul(d).sum().mul(0.5);
    }
}
