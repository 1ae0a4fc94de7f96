package featurealign.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * The paper's encoder in a SameDiff graph (docs/method.md §3): a trunk {@code h = H(x)} and dense heads on h for the mean
 * μ, the log-variance ℓ and, when the data is conditioned, the "classifier" c (never trained with cross-entropy: it is
 * the conditioning channel of feature alignment).
 */
public final class Encoder {

    /** The trunk and head passes of one forward call. {@code conditioning} is null for unconditioned encoders. */
    public record Pass(Network.Pass trunk, Network.Pass mean, Network.Pass logVar, Network.Pass conditioning) {
        public SDVariable h() { return trunk.output(); }
        public SDVariable mu() { return mean.output(); }
        public SDVariable logVariance() { return logVar.output(); }
        public SDVariable label() { return conditioning == null ? null : conditioning.output(); }
    }

    private final Network trunk, mean, logVar, conditioning;
    private final int latent, conditioningSize;

    private Encoder(SameDiff sd, Encoder source) {
        this.latent = source.latent;
        this.conditioningSize = source.conditioningSize;
        this.trunk = Network.declareShared(sd, source.trunk);
        this.mean = Network.declareShared(sd, source.mean);
        this.logVar = Network.declareShared(sd, source.logVar);
        this.conditioning = source.conditioning == null ? null : Network.declareShared(sd, source.conditioning);
    }

    /** Declares {@code source} in another graph with the very same parameter arrays (see {@link Network#declareShared}). */
    public static Encoder declareShared(SameDiff sd, Encoder source) {
        return new Encoder(sd, source);
    }

    private Encoder(SameDiff sd, NetworkSpec trunkSpec, int latent, int conditioningSize, DataType dataType) {
        if (!trunkSpec.input().isImage() || trunkSpec.output().rank() != 1) {
            throw new IllegalArgumentException("encoder trunk must map [C,H,W] to [hidden], got " + trunkSpec.input()
                    + " -> " + trunkSpec.output());
        }
        if (latent <= 0 || conditioningSize < 0) {
            throw new IllegalArgumentException("encoder needs latent > 0 and conditioning >= 0, got " + latent + ", "
                    + conditioningSize);
        }
        int hidden = trunkSpec.output().dim(0);
        this.latent = latent;
        this.conditioningSize = conditioningSize;
        this.trunk = Network.declare(sd, trunkSpec, dataType);
        this.mean = Network.declare(sd, head("encoder_mean", hidden, latent), dataType);
        this.logVar = Network.declare(sd, head("encoder_logvar", hidden, latent), dataType);
        this.conditioning = conditioningSize > 0
                ? Network.declare(sd, head("encoder_cls", hidden, conditioningSize), dataType) : null;
    }

    private static NetworkSpec head(String name, int in, int out) {
        return new NetworkSpec(name, Shape.vector(in), List.of(new LayerSpec.Dense(in, out)));
    }

    /** Declares the paper's encoder for {@code architecture} (variable names prefixed {@code encoder}) in {@code sd}. */
    public static Encoder declare(SameDiff sd, Architecture architecture, DataType dataType) {
        return new Encoder(sd, architecture.encoderTrunk(), architecture.latent(), architecture.conditioning(), dataType);
    }

    /** Declares an encoder with any trunk {@code [C,H,W] → [hidden]} and dense heads of the given sizes. */
    public static Encoder declare(SameDiff sd, NetworkSpec trunk, int latent, int conditioning, DataType dataType) {
        return new Encoder(sd, trunk, latent, conditioning, dataType);
    }

    /** Input image shape [C,H,W]. */
    public Shape image() { return trunk.spec().input(); }

    /** Latent size Z. */
    public int latent() { return latent; }

    /** Length of the conditioning vector; 0 when unconditioned. */
    public int conditioningSize() { return conditioningSize; }

    public Network trunk() { return trunk; }

    public Network meanHead() { return mean; }

    public Network logVarianceHead() { return logVar; }

    /** The conditioning head, or null when the architecture is unconditioned. */
    public Network conditioningHead() { return conditioning; }

    /** Forward on {@code x} {@code [batch,C,H,W]}: trunk and all heads. */
    public Pass forward(SDVariable x) {
        Network.Pass t = trunk.forward(x, true);
        SDVariable h = t.output();
        return new Pass(t, mean.forward(h, true), logVar.forward(h, true),
                conditioning == null ? null : conditioning.forward(h, true));
    }

    public List<SDVariable> parameters() {
        List<SDVariable> p = new ArrayList<>(trunk.parameters());
        p.addAll(mean.parameters());
        p.addAll(logVar.parameters());
        if (conditioning != null) p.addAll(conditioning.parameters());
        return p;
    }

    /** The conv and dense weights (not biases) that the reference clamps to ±√2 before every step. */
    public List<SDVariable> weights() {
        List<SDVariable> w = new ArrayList<>();
        for (SDVariable v : parameters()) if (v.name().endsWith("/W")) w.add(v);
        return w;
    }

    public void initialize(long seed) {
        trunk.initialize(seed);
        mean.initialize(seed);
        logVar.initialize(seed);
        if (conditioning != null) conditioning.initialize(seed);
    }
}
