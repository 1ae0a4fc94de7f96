package featurealign.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * The paper's encoder in a SameDiff graph (paper notes §3): a trunk {@code h = H(x)} and dense heads on h for the mean
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

    private final Architecture architecture;
    private final Network trunk, mean, logVar, conditioning;

    private Encoder(SameDiff sd, Architecture a, DataType dataType) {
        this.architecture = a;
        this.trunk = Network.declare(sd, a.encoderTrunk(), dataType);
        this.mean = Network.declare(sd, a.head("encoder_mean", a.latent()), dataType);
        this.logVar = Network.declare(sd, a.head("encoder_logvar", a.latent()), dataType);
        this.conditioning = a.conditioning() > 0
                ? Network.declare(sd, a.head("encoder_cls", a.conditioning()), dataType) : null;
    }

    /** Declares the encoder's variables (names prefixed {@code encoder}) in {@code sd}. */
    public static Encoder declare(SameDiff sd, Architecture architecture, DataType dataType) {
        return new Encoder(sd, architecture, dataType);
    }

    public Architecture architecture() { return architecture; }

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
