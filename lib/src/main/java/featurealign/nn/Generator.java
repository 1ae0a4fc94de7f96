package featurealign.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * The GAN refiner G(x̂, y) (docs/method.md §3, §8): the conditioning vector y becomes one image channel through a dense
 * layer, is concatenated to x̂, and a conv/batch-norm body outputs an image in (0,1).
 */
public final class Generator {

    /** One forward call: the output image and the batch statistics its batch-norm layers used (training mode). */
    public record Pass(SDVariable output, Network.Pass body) {}

    private final Network labelMap, body;

    private Generator(SameDiff sd, Architecture a, DataType dataType) {
        NetworkSpec map = a.generatorLabelMap();
        this.labelMap = map == null ? null : Network.declare(sd, map, dataType);
        this.body = Network.declare(sd, a.generatorBody(), dataType);
    }

    public static Generator declare(SameDiff sd, Architecture architecture, DataType dataType) {
        return new Generator(sd, architecture, dataType);
    }

    private Generator(SameDiff sd, Generator source) {
        this.labelMap = source.labelMap == null ? null : Network.declareShared(sd, source.labelMap);
        this.body = Network.declareShared(sd, source.body);
    }

    /** Declares {@code source} in another graph with the very same parameter and running-statistics arrays. */
    public static Generator declareShared(SameDiff sd, Generator source) {
        return new Generator(sd, source);
    }

    /**
     * @param xHat         {@code [batch,C,H,W]} feature-alignment output
     * @param conditioning {@code [batch,conditioning]}, or null for an unconditioned architecture
     * @param training     batch statistics (true) or running statistics (false) in batch norm
     */
    public Pass forward(SDVariable xHat, SDVariable conditioning, boolean training) {
        SDVariable in = xHat;
        if (labelMap != null) {
            if (conditioning == null) throw new IllegalArgumentException("generator: this architecture needs a conditioning vector");
            SDVariable channel = labelMap.forward(conditioning, training).output();
            in = xHat.getSameDiff().concat(1, xHat, channel);
        }
        Network.Pass p = body.forward(in, training);
        return new Pass(p.output(), p);
    }

    public Network body() { return body; }

    /** The label map, or null when unconditioned. */
    public Network labelMap() { return labelMap; }

    public List<SDVariable> parameters() {
        List<SDVariable> p = new ArrayList<>();
        if (labelMap != null) p.addAll(labelMap.parameters());
        p.addAll(body.parameters());
        return p;
    }

    public void initialize(long seed) {
        if (labelMap != null) labelMap.initialize(seed);
        body.initialize(seed);
    }
}
