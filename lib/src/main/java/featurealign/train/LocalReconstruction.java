package featurealign.train;

import featurealign.runtime.NativeMemory;

import featurealign.align.AlignmentOptions.Squash;
import featurealign.nn.LayerSpec;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reconstruction of a locally trained network's input from its output code, as the reference {@code memory_rec.py}
 * (docs/method.md §6, §7): from the last module to the first, {@code u = 0} and one step
 * {@code u ← u − ∇_u ½‖x − m_l(u)‖²}, i.e. {@code u = J_l(0)ᵀ (x − m_l(0))}, then {@code u ← sinh(u)} for asinh
 * modules; the next (earlier) module inverts u. For an affine module the step is {@code Wᵀ(x − b)}, a transposed
 * convolution or a matmul with the bias subtracted; for asinh it gives x, so the module is inverted exactly by sinh;
 * flatten and reshape are reshaped back. The final image is squashed, by default with tanh as the reference.
 * <p>
 * Inputs are not clamped (the reference does not clamp here). The parameters are read from the given arrays at every
 * call, so a reconstruction built on {@link LocalTraining#parameters()} follows training.
 */
public final class LocalReconstruction {

    private static final String IMAGES = "images", CODE_IN = "code_in", CODE = "code", IMAGE = "image";

    private final NetworkSpec spec;
    private final DataType dataType;
    private final Squash squash;
    private final Map<String, INDArray> source;
    private final SameDiff sd = SameDiff.create();
    private final NativeMemory memory = NativeMemory.withDefaults();
    private final List<SDVariable> variables = new ArrayList<>();

    /**
     * @param spec       the network (every layer must have a transpose)
     * @param parameters arrays by whole-network variable name ({@code <net>/<layer>/W|b}), e.g.
     *                   {@link LocalTraining#parameters()}; read at every call
     * @param dataType   floating-point type of the computation
     * @param squash     the map from the first module's reconstructed input to the image: {@link Squash#TANH} (the
     *                   reference), {@link Squash#SIGMOID} or {@link Squash#NONE}
     */
    public LocalReconstruction(NetworkSpec spec, Map<String, INDArray> parameters, DataType dataType, Squash squash) {
        if (spec == null || parameters == null || dataType == null || squash == null) {
            throw new IllegalArgumentException("spec, parameters, dataType and squash must not be null");
        }
        LocalGraphs.requireTransposable(spec, "local reconstruction");
        this.spec = spec;
        this.dataType = dataType;
        this.squash = squash;
        this.source = parameters;
        List<Shape> shapes = spec.shapes();
        List<Network> nets = new ArrayList<>();
        for (int i = 0; i < spec.layers().size(); i++) {
            Network net = LocalGraphs.declareModule(sd, spec, i, dataType);
            for (SDVariable v : net.parameters()) {
                INDArray given = parameters.get(v.name());
                if (given == null) {
                    throw new IllegalArgumentException("parameters: no array for " + v.name() + " (shape "
                            + Arrays.toString(v.getShape()) + ")");
                }
                if (!Arrays.equals(given.shape(), v.getShape())) {
                    throw new IllegalArgumentException("parameters: " + v.name() + " should have shape "
                            + Arrays.toString(v.getShape()) + ", got " + Arrays.toString(given.shape()));
                }
                variables.add(v);
            }
            nets.add(net);
        }
        // Encoder: the plain forward pass (used by reconstruct).
        SDVariable h = sd.placeHolder(IMAGES, dataType, spec.input().withBatch(-1));
        for (Network net : nets) h = net.forward(h, false).output();
        h.rename(CODE);
        // Decoder: each module inverted by one alignment step from zero, last module first.
        SDVariable u = sd.placeHolder(CODE_IN, dataType, spec.output().withBatch(-1));
        for (int i = nets.size() - 1; i >= 0; i--) {
            Network net = nets.get(i);
            Network.Pass zero = net.forward(sd.constant(Nd4j.zeros(dataType, shapes.get(i).withBatch(1))), false);
            // −∇_u ½‖x − m(u)‖² at u = 0 is J(0)ᵀ (x − m(0)); for conv/dense m(0) = b, so this is Wᵀ(x − b).
            u = net.transpose(zero, u.sub(zero.output()));
            if (spec.layers().get(i) instanceof LayerSpec.Asinh) u = sd.math().sinh(u);
        }
        SDVariable image = switch (squash) {
            case TANH -> sd.math().tanh(u);
            case SIGMOID -> sd.nn().sigmoid(u);
            case NONE -> u;
        };
        image.rename(IMAGE);
    }

    /** The reference reconstruction of {@code training}'s network: tanh squash, its live parameters. */
    public static LocalReconstruction of(LocalTraining training) {
        return new LocalReconstruction(training.spec(), training.parameters(), training.dataType(), Squash.TANH);
    }

    /** The same network and parameters with another squash. */
    public LocalReconstruction withSquash(Squash s) { return new LocalReconstruction(spec, source, dataType, s); }

    public Squash squash() { return squash; }

    public NetworkSpec spec() { return spec; }

    /** The network's output for {@code images} {@code [N, input shape]} (not clamped): {@code [N, output shape]}. */
    public INDArray encode(INDArray images) {
        if (images == null) throw new IllegalArgumentException("images must not be null");
        spec.input().requireMatches(images.shape(), "images");
        return run(IMAGES, images, CODE);
    }

    /** The reconstructed, squashed input {@code [N, input shape]} (images: {@code [N,C,H,W]}) from a code {@code [N, output shape]}. */
    public INDArray decode(INDArray code) {
        if (code == null) throw new IllegalArgumentException("code must not be null");
        spec.output().requireMatches(code.shape(), "code");
        return run(CODE_IN, code, IMAGE);
    }

    /** {@code decode(encode(images))}: images {@code [N, input shape]}, not clamped, to their reconstructions. */
    public INDArray reconstruct(INDArray images) {
        INDArray code = encode(images);
        try {
            return decode(code);
        } finally {
            code.close();
        }
    }

    private INDArray run(String placeholder, INDArray value, String output) {
        for (SDVariable v : variables) {
            INDArray target = v.getArr();
            INDArray given = source.get(v.name());
            if (given == null) throw new IllegalStateException("parameters: " + v.name() + " was removed from the map");
            if (target == null) sd.setArrayForVariable(v.name(), given.castTo(dataType).dup());
            else target.assign(given);
        }
        return memory.outputs(sd, Map.of(placeholder, value.castTo(dataType)), output).get(output);
    }
}
