package featurealign.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A {@link NetworkSpec} declared in a SameDiff graph: its parameters are graph variables named
 * {@code <network>/<layer index>/<W|b|gamma|beta>}. {@link #forward} may be called several times (at the data and at
 * the probe input of feature alignment): every call shares the same variables. {@link #transpose} builds the
 * vector-Jacobian product of a forward pass with respect to its input from ordinary differentiable ops, so SameDiff's
 * first-order autodiff can differentiate through it (the paper's double backprop).
 */
public final class Network {

    /** One forward pass: each layer's input, the values its transpose needs, and the output. */
    public record Pass(List<SDVariable> inputs, List<SDVariable> saved, SDVariable output,
                       List<BatchStatistics> batchStatistics) {}

    /** Batch mean and biased variance of a batch-norm layer in training mode, per channel; for the running update. */
    public record BatchStatistics(int layer, SDVariable mean, SDVariable variance) {}

    private final SameDiff sd;
    private final NetworkSpec spec;
    private final DataType dataType;
    private final List<Shape> shapes;
    /** Per layer: its trainable variables (W,b or gamma,beta), empty for parameter-free layers. */
    private final List<List<SDVariable>> layerParams = new ArrayList<>();
    /** Per layer: running mean and variance constants of batch-norm layers, else empty. */
    private final List<List<SDVariable>> layerRunning = new ArrayList<>();

    private Network(SameDiff sd, NetworkSpec spec, DataType dataType, Network source) {
        this(sd, spec, dataType, source, source);
    }

    /**
     * @param parameterSource network whose parameter arrays are shared, or null for new (zero) ones
     * @param statisticsSource network whose batch-norm running statistics are shared, or null for new ones
     */
    private Network(SameDiff sd, NetworkSpec spec, DataType dataType, Network parameterSource, Network statisticsSource) {
        this.sd = sd;
        this.spec = spec;
        this.dataType = dataType;
        this.shapes = spec.shapes();
        for (int i = 0; i < spec.layers().size(); i++) {
            LayerSpec l = spec.layers().get(i);
            String p = spec.name() + "/" + i + "/";
            List<SDVariable> params = new ArrayList<>();
            List<SDVariable> running = new ArrayList<>();
            if (l instanceof LayerSpec.Conv2d c) {
                params.add(variable(p + "W", parameterSource, i, 0, c.kernel(), c.kernel(), c.inChannels(), c.outChannels()));
                params.add(variable(p + "b", parameterSource, i, 1, c.outChannels()));
            } else if (l instanceof LayerSpec.Dense d) {
                params.add(variable(p + "W", parameterSource, i, 0, d.in(), d.out()));
                params.add(variable(p + "b", parameterSource, i, 1, d.out()));
            } else if (l instanceof LayerSpec.BatchNorm bn) {
                params.add(variable(p + "gamma", parameterSource, i, 0, bn.channels()));
                params.add(variable(p + "beta", parameterSource, i, 1, bn.channels()));
                // Constants keep the array object they are given, so a shared network sees running-statistic updates.
                Network st = statisticsSource;
                running.add(sd.constant(p + "runningMean", st != null ? st.layerRunning.get(i).get(0).getArr()
                        : Nd4j.zeros(dataType, bn.channels())));
                running.add(sd.constant(p + "runningVar", st != null ? st.layerRunning.get(i).get(1).getArr()
                        : Nd4j.ones(dataType, bn.channels())));
            }
            layerParams.add(Collections.unmodifiableList(params));
            layerRunning.add(Collections.unmodifiableList(running));
        }
    }

    /**
     * A new zero variable, or one holding {@code source}'s array object itself: {@code sd.var(name, array)} keeps the
     * array (an in-place update through either graph is seen by both), whereas {@code setArrayForVariable} copies it.
     */
    private SDVariable variable(String name, Network source, int layer, int k, long... shape) {
        return source == null ? sd.var(name, dataType, shape) : sd.var(name, source.layerParams.get(layer).get(k).getArr());
    }

    /** Declares the network's variables in {@code sd} (all zero until {@link #initialize}). */
    public static Network declare(SameDiff sd, NetworkSpec spec, DataType dataType) {
        return new Network(sd, spec, dataType, null);
    }

    /**
     * Declares {@code source}'s network in another graph {@code sd}, holding the very same parameter and
     * running-statistics arrays: an in-place update (Adam, clamping) made through either graph is seen by both.
     */
    public static Network declareShared(SameDiff sd, Network source) {
        return new Network(sd, source.spec, source.dataType, source);
    }

    /**
     * Declares a copy of {@code source} in {@code sd} with parameter arrays of its own, holding {@code source}'s current
     * values, and {@code source}'s very batch-norm running-statistics arrays: for an average of the weights that
     * normalises as the trained network does.
     */
    public static Network declareCopyWithSharedStatistics(SameDiff sd, Network source) {
        Network n = new Network(sd, source.spec, source.dataType, null, source);
        List<SDVariable> own = n.parameters(), theirs = source.parameters();
        for (int i = 0; i < own.size(); i++) own.get(i).getArr().assign(theirs.get(i).getArr());
        return n;
    }

    public NetworkSpec spec() { return spec; }

    public String name() { return spec.name(); }

    public DataType dataType() { return dataType; }

    /** All trainable variables, layer by layer. */
    public List<SDVariable> parameters() {
        List<SDVariable> all = new ArrayList<>();
        layerParams.forEach(all::addAll);
        return all;
    }

    public List<String> parameterNames() {
        List<String> names = new ArrayList<>();
        for (SDVariable v : parameters()) names.add(v.name());
        return names;
    }

    /** Trainable variables of layer {@code i} (W,b or gamma,beta; empty for parameter-free layers). */
    public List<SDVariable> layerParameters(int i) { return layerParams.get(i); }

    /** Running mean and variance constants of batch-norm layer {@code i} (empty for other layers). */
    public List<SDVariable> runningStatistics(int i) { return layerRunning.get(i); }

    /**
     * Builds the forward ops on {@code x} ({@code [batch, input...]}). {@code training} selects batch statistics (true)
     * or running statistics (false) in batch-norm layers; it does not matter for other layers.
     */
    public Pass forward(SDVariable x, boolean training) {
        List<SDVariable> inputs = new ArrayList<>();
        List<SDVariable> saved = new ArrayList<>();
        List<BatchStatistics> stats = new ArrayList<>();
        SDVariable h = x;
        for (int i = 0; i < spec.layers().size(); i++) {
            LayerSpec l = spec.layers().get(i);
            List<SDVariable> p = layerParams.get(i);
            inputs.add(h);
            SDVariable keep = null;
            if (l instanceof LayerSpec.Conv2d c) {
                h = sd.cnn().conv2d(h, p.get(0), p.get(1), Conv2DConfig.builder()
                        .kH(c.kernel()).kW(c.kernel()).sH(c.stride()).sW(c.stride()).pH(c.padding()).pW(c.padding())
                        .dH(1).dW(1).paddingMode(PaddingMode.VALID).dataFormat("NCHW")
                        .weightsFormat(WeightsFormat.YXIO).build());
            } else if (l instanceof LayerSpec.Dense) {
                h = h.mmul(p.get(0)).add(p.get(1));
            } else if (l instanceof LayerSpec.LeakyRelu r) {
                // pre ⊙ mask(pre), the mask the transpose uses too. M2.1's native leakyrelu / lrelu_bp are many times
                // slower than a multiply, and lrelu_bp passes the gradient whole at pre = 0 where PyTorch multiplies it
                // by the slope; this form is PyTorch's to the last bit, at zero too.
                h = h.mul(leakyMask(h, r.slope()));
            } else if (l instanceof LayerSpec.Asinh) {
                keep = sd.math().rsqrt(h.mul(h).add(1.0)); // asinh'(x) = 1/sqrt(1+x²)
                h = sd.math().asinh(h);
            } else if (l instanceof LayerSpec.Sigmoid) {
                h = sd.nn().sigmoid(h);
                keep = h.mul(h.rsub(1.0));
            } else if (l instanceof LayerSpec.Tanh) {
                h = sd.math().tanh(h);
                keep = h.mul(h).rsub(1.0);
            } else if (l instanceof LayerSpec.Flatten || l instanceof LayerSpec.Reshape) {
                h = sd.reshape(h, shapes.get(i + 1).withBatch(-1));
            } else if (l instanceof LayerSpec.BatchNorm bn) {
                SDVariable mean, var;
                if (training) {
                    // Biased batch variance as E[h²] − E[h]², E[h²] as a squared norm: no broadcast op (whose backward
                    // M2.1 runs very slowly) and no h² map, which a gradient call would keep alive with its gradients.
                    Shape in = shapes.get(i);
                    SDVariable count = sd.sizeAt(h, 0).castTo(dataType).mul((double) in.dim(1) * in.dim(2)); // N·H·W
                    mean = h.mean(false, 0, 2, 3);
                    var = sd.math().squaredNorm(h, false, 0, 2, 3).div(count).sub(mean.mul(mean));
                    stats.add(new BatchStatistics(i, mean, var));
                } else {
                    List<SDVariable> run = layerRunning.get(i);
                    mean = run.get(0);
                    var = run.get(1);
                }
                // y = h·scale + shift per channel, scale = γ/√(var+ε), shift = β − mean·scale, computed as a 1×1
                // convolution with weights diag(scale) and bias shift. M2.1's native batchnorm cannot be differentiated
                // (doDiff fails) and the backward of a broadcast multiply is an order of magnitude slower than the
                // convolution's (oneDNN), though that does C× the multiply-adds.
                SDVariable scale = p.get(0).mul(sd.math().rsqrt(var.add(bn.epsilon())));
                SDVariable shift = p.get(1).sub(mean.mul(scale));
                SDVariable perChannel = sd.reshape(scale, 1, 1, bn.channels(), 1);
                h = sd.cnn().depthWiseConv2d(h, perChannel, shift, Conv2DConfig.builder()
                        .kH(1).kW(1).sH(1).sW(1).pH(0).pW(0).dH(1).dW(1).paddingMode(PaddingMode.VALID)
                        .dataFormat("NCHW").weightsFormat(WeightsFormat.YXIO).build());
            } else {
                throw new IllegalStateException("unhandled layer " + l);
            }
            saved.add(keep);
        }
        return new Pass(Collections.unmodifiableList(inputs), Collections.unmodifiableList(saved), h,
                Collections.unmodifiableList(stats));
    }

    /**
     * The vector-Jacobian product of {@code pass} with respect to its input: given {@code gradOutput} =
     * {@code ∂C/∂output} ({@code [batch, output...]}) it returns {@code ∂C/∂input}, built from differentiable ops on
     * the same variables. The pass may have batch 1 while {@code gradOutput} has batch B (the activation masks
     * broadcast): feature alignment uses this when its probe input is the same for every sample.
     */
    public SDVariable transpose(Pass pass, SDVariable gradOutput) {
        SDVariable g = gradOutput;
        for (int i = spec.layers().size() - 1; i >= 0; i--) {
            LayerSpec l = spec.layers().get(i);
            List<SDVariable> p = layerParams.get(i);
            SDVariable keep = pass.saved().get(i);
            if (l instanceof LayerSpec.Conv2d c) {
                g = convTranspose(c, p.get(0), g, shapes.get(i), shapes.get(i + 1));
            } else if (l instanceof LayerSpec.Dense) {
                g = sd.mmul(g, p.get(0), false, true, false);
            } else if (l instanceof LayerSpec.LeakyRelu r) {
                // The mask 1 or slope is computed at the pass's batch (1 for a shared probe), then broadcast to g's
                // full shape: multiplying by a batch-1 mask would make SameDiff's multiply backward reduce over the
                // batch, which M2.1 does ~40x slower than the multiply itself. The comparison's boolean cuts the
                // gradient, so the mask is a constant.
                g = g.mul(leakyMask(pass.inputs().get(i), r.slope()).add(sd.zerosLike(g)));
            } else if (l instanceof LayerSpec.Asinh || l instanceof LayerSpec.Sigmoid || l instanceof LayerSpec.Tanh) {
                g = g.mul(keep);
            } else if (l instanceof LayerSpec.Flatten || l instanceof LayerSpec.Reshape) {
                g = sd.reshape(g, shapes.get(i).withBatch(-1));
            } else {
                throw new IllegalStateException(spec.name() + " layer " + i + " (" + l + ") has no transpose");
            }
        }
        return g;
    }

    /**
     * Leaky ReLU's derivative as a constant: 1 where {@code pre > 0}, else {@code slope} (at 0 too, as PyTorch), of
     * {@code pre}'s shape. Exact for every slope (a maximum of 0/1 and the slope, no arithmetic); the comparison's
     * boolean cuts the gradient, so a product with the mask is differentiated as a product with a constant.
     */
    private SDVariable leakyMask(SDVariable pre, double slope) {
        return sd.scalarMax(pre.gt(0.0).castTo(dataType), slope);
    }

    /**
     * Transpose of a convolution: a transposed convolution with the same {@code [k,k,in,out]} weights. For stride 1
     * the padding maps back exactly; otherwise deconvolve without padding and crop {@code [p, p+H)} (this matches
     * PyTorch's padding p with output_padding; TF-style SAME does not), padding with zeros when input rows were never
     * reached by the kernel.
     */
    private SDVariable convTranspose(LayerSpec.Conv2d c, SDVariable w, SDVariable g, Shape in, Shape out) {
        if (c.stride() == 1) {
            return sd.cnn().deconv2d(g, w, DeConv2DConfig.builder().kH(c.kernel()).kW(c.kernel()).sH(1).sW(1)
                    .pH(c.padding()).pW(c.padding()).dH(1).dW(1).isSameMode(false).dataFormat("NCHW").build());
        }
        SDVariable full = sd.cnn().deconv2d(g, w, DeConv2DConfig.builder().kH(c.kernel()).kW(c.kernel())
                .sH(c.stride()).sW(c.stride()).pH(0).pW(0).dH(1).dW(1).isSameMode(false).dataFormat("NCHW").build());
        int fullH = (out.dim(1) - 1) * c.stride() + c.kernel();
        int fullW = (out.dim(2) - 1) * c.stride() + c.kernel();
        int p = c.padding();
        int padH = Math.max(0, p + in.dim(1) - fullH), padW = Math.max(0, p + in.dim(2) - fullW);
        if (padH > 0 || padW > 0) {
            full = sd.nn().pad(full, sd.constant(Nd4j.createFromArray(new int[][]{{0, 0}, {0, 0}, {0, padH}, {0, padW}})), 0.0);
        }
        return full.get(org.nd4j.autodiff.samediff.SDIndex.all(), org.nd4j.autodiff.samediff.SDIndex.all(),
                org.nd4j.autodiff.samediff.SDIndex.interval(p, p + in.dim(1)),
                org.nd4j.autodiff.samediff.SDIndex.interval(p, p + in.dim(2)));
    }

    /**
     * Initialises every parameter as the reference code: orthogonal weights (conv weights flattened to
     * out × in·k·k, PyTorch's {@code nn.init.orthogonal_}, gain 1), biases uniform in ±1/√fan_in, batch-norm weight
     * 1 and bias 0, running statistics 0 and 1. Each variable draws from its own generator seeded with
     * {@code seed} and its name, so adding a network does not change another's initial weights.
     */
    public void initialize(long seed) {
        for (int i = 0; i < spec.layers().size(); i++) {
            LayerSpec l = spec.layers().get(i);
            List<SDVariable> p = layerParams.get(i);
            if (l instanceof LayerSpec.Conv2d c) {
                int k = c.kernel();
                INDArray q = Init.orthogonal(c.outChannels(), c.inChannels() * k * k, rng(seed, p.get(0)), qrPrecision());
                // PyTorch [out, in·k·k] = [out,in,k,k] -> kit [k,k,in,out]
                INDArray rowMajor = q.dup('c');
                set(p.get(0), rowMajor.reshape('c', c.outChannels(), c.inChannels(), k, k).permute(2, 3, 1, 0));
                closeTemporary(rowMajor);
                closeTemporary(q);
                set(p.get(1), Init.uniformBias(c.outChannels(), c.fanIn(), rng(seed, p.get(1))));
            } else if (l instanceof LayerSpec.Dense d) {
                // PyTorch [out, in] -> kit [in, out]
                INDArray q = Init.orthogonal(d.out(), d.in(), rng(seed, p.get(0)), qrPrecision());
                set(p.get(0), q.transpose());
                closeTemporary(q);
                set(p.get(1), Init.uniformBias(d.out(), d.in(), rng(seed, p.get(1))));
            } else if (l instanceof LayerSpec.BatchNorm bn) {
                set(p.get(0), Nd4j.ones(DataType.DOUBLE, bn.channels()));
                set(p.get(1), Nd4j.zeros(DataType.DOUBLE, bn.channels()));
                List<SDVariable> run = layerRunning.get(i);
                run.get(0).getArr().assign(0.0);
                run.get(1).getArr().assign(1.0);
            }
        }
    }

    /** QR in the parameters' own precision, as PyTorch: float32 graphs need not pay for a float64 factorisation. */
    private DataType qrPrecision() { return dataType == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT; }

    private static Random rng(long seed, SDVariable v) { return new Random(seed * 1_000_003L + v.name().hashCode()); }

    /**
     * Frees an initialiser's scratch matrix now rather than at the next garbage collection (a large dense layer's is
     * large, at start-up, where the run's peak memory is reached). {@link #set} copies, so this is safe;
     * views (the small transposed conv matrices) are left to the collector.
     */
    private static void closeTemporary(INDArray a) {
        if (!a.isView() && a.closeable()) a.close();
    }

    /** Copies {@code value} into the variable's array (the caller may free {@code value} afterwards). */
    private void set(SDVariable v, INDArray value) {
        INDArray target = v.getArr();
        if (target == null) {
            sd.setArrayForVariable(v.name(), value.castTo(dataType).reshape(v.getShape()).dup());
        } else {
            target.assign(value.castTo(dataType).reshape(target.shape()));
        }
    }
}
