package featurealign.align;

import featurealign.nn.Encoder;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * The encoder's FA-VAE loss (docs/method.md §4): posterior z = μ + σ⊙ε on the data, feature alignment toward (z, y),
 * then {@code L = Σ_i β_i KL_i + ½Σ(x − x̂)²}. The target z is not detached: the gradient flows through both the data
 * branch and the probe branch, as the reference.
 *
 * @param loss               scalar L
 * @param reconstructionLoss scalar RL
 * @param klPerSample        {@code [batch]}
 * @param weightedKl         scalar Σ_i β_i KL_i
 * @param z                  {@code [batch,Z]} the sampled latent
 * @param alignment          the probe r_T and the image x̂
 * @param posterior          the encoder pass on x
 */
public record FaVaeObjective(SDVariable loss, SDVariable reconstructionLoss, SDVariable klPerSample,
                             SDVariable weightedKl, SDVariable z,
                             FeatureAlignment.Result alignment, Encoder.Pass posterior) {

    /**
     * @param x          {@code [batch,C,H,W]} images (the caller clamps them to [0.01,0.99] as the reference)
     * @param condition  {@code [batch,K]} conditioning, or null for an unconditioned encoder
     * @param eps        {@code [batch,Z]} standard normal noise
     * @param beta       {@code [batch]} KL weights (the reference draws them from U(0,1) each batch)
     * @param r0         initial probe, or null for r0 = 0
     */
    public static FaVaeObjective build(Encoder encoder, SDVariable x, SDVariable condition, SDVariable eps,
                                       SDVariable beta, SDVariable r0, AlignmentOptions options) {
        Encoder.Pass post = encoder.forward(x);
        SDVariable std = x.getSameDiff().math().exp(post.logVariance().mul(0.5));
        SDVariable z = post.mu().add(std.mul(eps));
        FeatureAlignment.Result fa = FeatureAlignment.reverse(encoder, z, condition, r0, options);
        SDVariable rl = Losses.reconstruction(x, fa.image());
        SDVariable kl = Losses.klPerSample(post.mu(), post.logVariance());
        SDVariable klw = Losses.weightedKl(kl, beta);
        SDVariable loss = klw.add(rl);
        return new FaVaeObjective(loss, rl, kl, klw, z, fa, post);
    }
}
