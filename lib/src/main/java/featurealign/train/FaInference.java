package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.align.FeatureAlignment;
import featurealign.nn.Architecture;
import featurealign.nn.Encoder;
import featurealign.runtime.NativeMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.*;

/**
 * The encoder's inference graph, built once and sharing the encoder step's arrays: the posterior of images, and feature
 * alignment of latents with the run's options and with exactly one step (the discriminator's fakes, docs/method.md §5),
 * each as the squashed image and the probe before the squash. No gradients. Large inputs run in chunks of
 * {@value #CHUNK} rows, so native memory stays bounded.
 */
final class FaInference {

    static final int CHUNK = 250;

    private final SameDiff sd = SameDiff.create();
    private final Architecture arch;
    private final DataType dt;
    private final AlignmentOptions options;
    private final String muName, logVarName;
    private final Names aligned, alignedOnce;
    private final NativeMemory memory;

    /** The image and probe outputs of one alignment. */
    private record Names(String image, String probe) {}

    FaInference(Encoder encoder, Architecture arch, AlignmentOptions options, DataType dt, NativeMemory memory) {
        this.memory = memory;
        this.arch = arch;
        this.dt = dt;
        this.options = options;
        Encoder enc = Encoder.declareShared(sd, encoder);
        SDVariable x = sd.placeHolder("x", dt, arch.image().withBatch(-1));
        Encoder.Pass post = enc.forward(x);
        muName = post.mu().name();
        logVarName = post.logVariance().name();
        SDVariable z = sd.placeHolder("z", dt, -1, arch.latent());
        SDVariable cond = arch.conditioning() > 0 ? sd.placeHolder("condition", dt, -1, arch.conditioning()) : null;
        SDVariable r0 = options.initialProbe() == AlignmentOptions.InitialProbe.ZERO ? null
                : sd.placeHolder("r0", dt, arch.image().withBatch(-1));
        FeatureAlignment.Result all = FeatureAlignment.reverse(enc, z, cond, r0, options);
        FeatureAlignment.Result once = options.steps() == 1 ? all : FeatureAlignment.reverse(enc, z, cond, r0, options.withSteps(1));
        aligned = new Names(all.image().name(), all.probe().name());
        alignedOnce = new Names(once.image().name(), once.probe().name());
    }

    SameDiff graph() { return sd; }

    /** Posterior μ and log σ² of images {@code [N,C,H,W]} in [0,1] (clamped to [0.01,0.99] as in training). */
    FaModel.Posterior encode(INDArray images) {
        arch.image().requireMatches(images.shape(), "images");
        INDArray[] out = byChunks(images.size(0), (start, end) -> {
            INDArray x = Transforms.max(Transforms.min(images.get(NDArrayIndex.interval(start, end)).castTo(dt), 0.99, true), 0.01, false);
            Map<String, INDArray> o = memory.outputs(sd, Map.of("x", x), muName, logVarName);
            return new INDArray[]{o.get(muName), o.get(logVarName)};
        });
        return new FaModel.Posterior(out[0], out[1]);
    }

    /**
     * Feature alignment of a whole batch with a given r0 (null for r0 = 0), as training draws it: with the run's
     * steps, or with one step ({@code oneStep}, the discriminator's fakes).
     */
    FaModel.Aligned alignBatch(INDArray z, INDArray condition, INDArray r0, boolean oneStep) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("z", z.castTo(dt));
        if (condition != null) feed.put("condition", condition.castTo(dt));
        if (r0 != null) feed.put("r0", r0);
        return outputs(feed, oneStep ? alignedOnce : aligned, true);
    }

    /**
     * Feature alignment of latents {@code z [N,Z]} toward conditioning {@code [N,K]} (null if unconditioned) with the
     * run's options, in chunks; each chunk draws its r0 from {@code noise} (when random). The probe is null unless
     * {@code withProbe}.
     */
    FaModel.Aligned align(INDArray z, INDArray condition, Noise noise, boolean withProbe) {
        if (z.rank() != 2 || z.size(1) != arch.latent()) {
            throw new IllegalArgumentException("z: expected shape [N," + arch.latent() + "], got " + Arrays.toString(z.shape()));
        }
        int n = (int) z.size(0);
        if (arch.conditioning() > 0) FaModel.requireCondition(condition, n, arch);
        if (options.initialProbe() != AlignmentOptions.InitialProbe.ZERO && noise == null) {
            throw new IllegalArgumentException("a random initial probe needs a Noise source");
        }
        INDArray[] out = byChunks(n, (start, end) -> {
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("z", z.get(NDArrayIndex.interval(start, end)).castTo(dt));
            if (condition != null) feed.put("condition", condition.get(NDArrayIndex.interval(start, end)).castTo(dt));
            INDArray r0 = randomProbe((int) (end - start), noise);
            if (r0 != null) feed.put("r0", r0);
            FaModel.Aligned a = outputs(feed, aligned, withProbe);
            return new INDArray[]{a.image(), a.probe()};
        });
        return new FaModel.Aligned(out[0], out[1]);
    }

    /** A random initial probe {@code [batch,C,H,W]} at the configured scale, or null when r0 = 0. */
    INDArray randomProbe(int batch, Noise noise) {
        if (options.initialProbe() == AlignmentOptions.InitialProbe.ZERO) return null;
        if (options.initialProbe() == AlignmentOptions.InitialProbe.GIVEN) {
            throw new IllegalStateException("training needs r0 ZERO or RANDOM; GIVEN is for hand-built graphs");
        }
        return noise.gaussian(dt, arch.image().withBatch(batch)).muli(options.randomScale());
    }

    /** The image and, if asked, the probe (a copy of the image when there is no squash). */
    private FaModel.Aligned outputs(Map<String, INDArray> feed, Names names, boolean withProbe) {
        if (!withProbe) return new FaModel.Aligned(memory.outputs(sd, feed, names.image()).get(names.image()), null);
        if (names.probe().equals(names.image())) {
            INDArray image = memory.outputs(sd, feed, names.image()).get(names.image());
            return new FaModel.Aligned(image, image.dup());
        }
        Map<String, INDArray> out = memory.outputs(sd, feed, names.image(), names.probe());
        return new FaModel.Aligned(out.get(names.image()), out.get(names.probe()));
    }

    /** One inference call on rows {@code [start, end)}: its outputs, in a fixed order (an entry may be null). */
    @FunctionalInterface
    interface ChunkCall {
        INDArray[] run(long start, long end);
    }

    /**
     * {@code call} on rows 0..n−1, {@value #CHUNK} at a time in order (so native memory stays bounded and noise is drawn
     * as for one pass), each output concatenated over the chunks (null where the call gave null).
     */
    static INDArray[] byChunks(long n, ChunkCall call) {
        if (n < 1) throw new IllegalArgumentException("inference needs at least one row, got " + n);
        List<INDArray[]> parts = new ArrayList<>();
        for (long start = 0; start < n; start += CHUNK) parts.add(call.run(start, Math.min(n, start + CHUNK)));
        INDArray[] out = new INDArray[parts.get(0).length];
        for (int k = 0; k < out.length; k++) {
            int output = k;
            if (parts.get(0)[k] != null) out[k] = Nd4j.concat(0, parts.stream().map(p -> p[output]).toArray(INDArray[]::new));
        }
        return out;
    }
}
