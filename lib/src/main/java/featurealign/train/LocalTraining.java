package featurealign.train;

import featurealign.runtime.NativeMemory;

import featurealign.nn.Architecture;
import featurealign.nn.LayerSpec;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Local (layer-wise) feature-alignment training of a sequential network, as the reference {@code memory.py}
 * (docs/method.md §6). Per batch: {@code x ← clamp(x, 0.01, 0.99)}; then for each trained module l in order,
 * {@code r = 0} (module-input shape), {@code fx = m_l(x)}, T times {@code r ← r − η ∇_r ½‖fx − m_l(r)‖²},
 * {@code loss_l = ½‖x − r‖²}, the gradient of loss_l with respect to module l's parameters through the inner step
 * (second order), then {@code x ← fx} with no gradient between modules. After all modules, one Adam step over every
 * trained parameter.
 * <p>
 * Each module with parameters has its own small SameDiff graph (input as a placeholder), built once. A step runs them
 * one after another and closes each module's input as soon as the next module has its own, and each graph's
 * intermediates as soon as they are used, so only one module's graph state is alive at a time (the memory claim).
 * Only the parameter gradients, which the single Adam step needs, accumulate over the modules.
 * <p>
 * For an affine module (conv, dense) the bias cancels in {@code m(x) − m(r) = W(x − r)}, so r and the loss do not
 * depend on it (for T = 1, {@code r = ηWᵀW x}): biases get zero gradient and stay at their initial values, as in the
 * reference. Autodiff would return that zero as rounding noise (the two bias paths are summed in different orders),
 * and Adam, which divides by the gradient's own scale, would turn noise above ε into steps of size lr; so the bias
 * gradients of affine modules are set to exact zeros instead of being computed.
 * <p>
 * A step ({@link #run}) reports {@code total}, then the loss {@code ½‖x_l − r_l‖²} (summed over batch and elements) of
 * each trained module with parameters in module order, named {@link #lossName}, all before the update.
 * <p>
 * Not thread-safe: use one instance from one thread.
 */
public final class LocalTraining implements TrainingStep<INDArray> {

    /** The name of module {@code module}'s loss in a step's {@link TrainingStep.Result}. */
    public static String lossName(int module) { return "module " + module; }

    /** Thrown when a module's loss or a gradient is NaN or infinite; parameters and optimiser are left as before the step. */
    public static final class NonFiniteLossException extends IllegalStateException {
        private final int module;
        private final double loss;

        NonFiniteLossException(String message, int module, double loss) {
            super(message);
            this.module = module;
            this.loss = loss;
        }

        /** Index of the module whose loss or gradient is not finite. */
        public int module() { return module; }

        /** That module's loss (may be finite when a gradient was not). */
        public double loss() { return loss; }
    }

    /** One module: its one-layer graph (whole-network variable names) and which gradients it computes or knows are 0. */
    private record Module(int index, LayerSpec layer, Shape input, SameDiff graph, List<String> parameterNames,
                          List<String> computedGradients, List<String> zeroGradients) {
        boolean parametrised() { return !parameterNames.isEmpty(); }
    }

    private static final String INPUT = "x", OUTPUT = "fx", LOSS = "loss";

    private final NetworkSpec spec;
    private final DataType dataType;
    private final int alignmentSteps;
    private final double stepSize;
    private final int trainedModules;
    private final Adam adam;
    private final NativeMemory memory = NativeMemory.withDefaults();
    private final List<Module> modules = new ArrayList<>();
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();
    private final Map<String, INDArray> trainedParameters = new LinkedHashMap<>();

    private LocalTraining(Builder b) {
        this.spec = b.spec;
        this.dataType = b.dataType;
        this.alignmentSteps = b.alignmentSteps;
        this.stepSize = b.stepSize;
        this.trainedModules = b.trainedModules < 0 ? spec.layers().size() : b.trainedModules;
        this.adam = b.adam != null ? b.adam : referenceAdam();
        List<Shape> shapes = spec.shapes();
        for (int i = 0; i < spec.layers().size(); i++) {
            SameDiff sd = SameDiff.create();
            Network net = LocalGraphs.declareModule(sd, spec, i, dataType);
            net.initialize(b.seed);
            boolean trained = i < trainedModules;
            if (trained) buildModuleGraph(sd, net, shapes.get(i));
            List<String> names = net.parameterNames();
            LayerSpec layer = spec.layers().get(i);
            boolean affine = layer instanceof LayerSpec.Conv2d || layer instanceof LayerSpec.Dense;
            List<String> zero = affine ? List.of(names.get(1)) : List.of();
            List<String> computed = affine ? List.of(names.get(0)) : names;
            modules.add(new Module(i, layer, shapes.get(i), sd, names, computed, zero));
            for (SDVariable v : net.parameters()) {
                parameters.put(v.name(), v.getArr());
                if (trained) trainedParameters.put(v.name(), v.getArr());
            }
        }
    }

    /** The reference's optimiser for the memory network: Adam(lr 1e-4, betas (0.9, 0.999), eps 1e-8). */
    public static Adam referenceAdam() { return new Adam(1e-4, 0.9, 0.999, 1e-8); }

    /** A builder for the local-training network of {@code architecture} ({@link Architecture#memory()}). */
    public static Builder builder(Architecture architecture) { return new Builder(architecture.memory()); }

    /** A builder for any sequential network whose layers all have transposes. */
    public static Builder builder(NetworkSpec spec) { return new Builder(spec); }

    /** Options with the reference defaults: float32, seed 1, T = 1, η = 1, all modules trained, {@link #referenceAdam()}. */
    public static final class Builder {
        private final NetworkSpec spec;
        private DataType dataType = DataType.FLOAT;
        private long seed = 1;
        private int alignmentSteps = 1;
        private double stepSize = 1.0;
        private int trainedModules = -1;
        private Adam adam;

        private Builder(NetworkSpec spec) {
            if (spec == null) throw new IllegalArgumentException("network spec must not be null");
            LocalGraphs.requireTransposable(spec, "local training");
            this.spec = spec;
        }

        /** Floating-point type of parameters and activations (FLOAT or DOUBLE). */
        public Builder dataType(DataType t) {
            if (t != DataType.FLOAT && t != DataType.DOUBLE && t != DataType.HALF) {
                throw new IllegalArgumentException("dataType must be FLOAT, DOUBLE or HALF, got " + t);
            }
            this.dataType = t;
            return this;
        }

        /** Seed of the reference initialisation ({@link Network#initialize}). */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** T ≥ 1, the number of inner steps per module (reference: 1). */
        public Builder alignmentSteps(int t) {
            if (t < 1) throw new IllegalArgumentException("alignment steps T must be >= 1, got " + t);
            this.alignmentSteps = t;
            return this;
        }

        /** η > 0, the inner step size (reference: 1). */
        public Builder stepSize(double eta) {
            if (!(eta > 0) || Double.isInfinite(eta)) {
                throw new IllegalArgumentException("alignment step size η must be positive and finite, got " + eta);
            }
            this.stepSize = eta;
            return this;
        }

        /** The optimiser (default {@link #referenceAdam()}); it updates only the trained modules' parameters. */
        public Builder adam(Adam a) {
            if (a == null) throw new IllegalArgumentException("adam must not be null");
            this.adam = a;
            return this;
        }

        /**
         * Train only modules {@code 0 .. n−1}; later modules keep their initial parameters (and are not run during
         * training). The default trains all modules.
         */
        public Builder trainedModules(int n) {
            int layers = spec.layers().size();
            if (n < 1 || n > layers) {
                throw new IllegalArgumentException("trainedModules must be in [1, " + layers + "] for " + spec.name()
                        + " (" + layers + " modules), got " + n);
            }
            this.trainedModules = n;
            return this;
        }

        /**
         * Reproduces the reference CIFAR-10 {@code memory.py} bug: it loops over {@code range(12)}, so of the CIFAR-10
         * memory network's 16 modules, the last four (flatten, dense 2048→2048, asinh, dense 2048→Z) are never trained
         * and keep their orthogonal initialisation (docs/method.md §6). Same as {@code trainedModules(12)}.
         */
        public Builder referenceCifarBug() { return trainedModules(12); }

        /** Trains all modules (the default; MNIST's reference script does this). */
        public Builder allModules() {
            this.trainedModules = -1;
            return this;
        }

        /** Declares and initialises the per-module graphs (orthogonal weights, uniform biases). */
        public LocalTraining build() { return new LocalTraining(this); }
    }

    /**
     * Module graph: {@code fx = m(x)} and, for modules with parameters, the loss of T inner steps from r = 0. The zero
     * probe is the same for every sample, so its forward pass runs at batch 1 and broadcasts (as FeatureAlignment).
     */
    private void buildModuleGraph(SameDiff sd, Network net, Shape input) {
        SDVariable x = sd.placeHolder(INPUT, dataType, input.withBatch(-1));
        SDVariable fx = net.forward(x, true).output();
        fx.rename(OUTPUT);
        if (net.parameters().isEmpty()) return;
        SDVariable r = sd.constant(Nd4j.zeros(dataType, input.withBatch(1)));
        for (int t = 0; t < alignmentSteps; t++) {
            Network.Pass probe = net.forward(r, true);
            // ∇_r ½‖fx − m(r)‖² = Jᵀ (m(r) − fx)
            SDVariable grad = net.transpose(probe, probe.output().sub(fx));
            r = t == 0 ? grad.mul(-stepSize) : r.sub(grad.mul(stepSize));
        }
        SDVariable diff = x.sub(r);
        diff.mul(diff).sum().mul(0.5).rename(LOSS);
        sd.setLossVariables(LOSS);
    }

    /**
     * One training step on a batch.
     *
     * @param images {@code [batch, input shape]} (for images {@code [N,C,H,W]}, pixels in [0,1]); clamped to
     *               [0.01, 0.99] internally; not modified
     * @return {@code total} and the per-module losses before the update
     * @throws NonFiniteLossException naming the module when a loss or gradient is NaN/Inf; nothing is updated then
     */
    @Override
    public Result run(INDArray images) {
        requireBatch(images);
        Map<String, Double> losses = new LinkedHashMap<>();
        Map<String, INDArray> gradients = new LinkedHashMap<>();
        INDArray x = LocalGraphs.clampedCopy(images, dataType);
        try (NativeMemory.Scope scope = memory.batch((int) images.size(0))) {
            for (int i = 0; i < trainedModules; i++) {
                Module m = modules.get(i);
                INDArray fx;
                if (m.parametrised()) {
                    OutAndGrad out = run(m, x);
                    INDArray lossArray = out.getOutputs().get(LOSS);
                    double loss = lossArray.getDouble(0);
                    lossArray.close();
                    fx = out.getOutputs().get(OUTPUT);
                    gradients.putAll(out.getGradients());
                    scope.ownAll(out.getGradients().values()); // closed when the step ends, updated or not
                    if (!Double.isFinite(loss)) {
                        fx.close();
                        throw new NonFiniteLossException("local training: loss of module " + i + " (" + m.layer()
                                + ") is " + loss + "; parameters left as before the step", i, loss);
                    }
                    losses.put(lossName(i), loss);
                } else {
                    fx = forward(m, x);
                    // A flatten/reshape output is a view of its input: copy it before the input's buffer is freed.
                    if (fx.isView() || fx.data().addressPointer().address() == x.data().addressPointer().address()) {
                        INDArray own = fx.dup();
                        fx = own;
                    }
                }
                x.close(); // this module's input is no longer needed: the next module starts from fx alone
                x = fx;
            }
            String bad = LocalGraphs.firstNonFinite(gradients);
            if (bad != null) {
                int module = Integer.parseInt(bad.split("/")[1]);
                throw new NonFiniteLossException("local training: gradient of " + bad + " is not finite (loss of module "
                        + module + " finite); parameters left as before the step", module,
                        losses.getOrDefault(lossName(module), Double.NaN));
            }
            adam.update(trainedParameters, gradients);
            Map<String, Double> all = new LinkedHashMap<>();
            double total = 0;
            for (double l : losses.values()) total += l;
            all.put("total", total);
            all.putAll(losses);
            return new Result(all, Map.of());
        } finally {
            if (!x.wasClosed()) x.close();
        }
    }

    /** Module {@code module}'s loss and parameter gradients on its input {@code x}; for tests. The caller closes them. */
    OutAndGrad lossAndGradients(int module, INDArray x) {
        Module m = modules.get(module);
        if (module >= trainedModules || !m.parametrised()) {
            throw new IllegalArgumentException("module " + module + " is not a trained module with parameters");
        }
        m.input().requireMatches(x.shape(), "module " + module + " input");
        return run(m, x.castTo(dataType));
    }

    /** Module {@code module}'s loss alone (forward only) on its input {@code x}; for finite-difference tests. */
    double layerLoss(int module, INDArray x) {
        Module m = modules.get(module);
        if (module >= trainedModules || !m.parametrised()) {
            throw new IllegalArgumentException("module " + module + " is not a trained module with parameters");
        }
        INDArray out = memory.outputs(m.graph(), Map.of(INPUT, x.castTo(dataType)), LOSS).get(LOSS);
        double loss = out.getDouble(0);
        out.close();
        return loss;
    }

    private OutAndGrad run(Module m, INDArray x) {
        SameDiff sd = m.graph();
        OutAndGrad out = memory.gradientsAndOutputs(sd, Map.of(INPUT, x), List.of(OUTPUT, LOSS), m.computedGradients());
        Map<String, INDArray> gradients = new LinkedHashMap<>(out.getGradients());
        for (String name : m.zeroGradients()) {
            gradients.put(name, Nd4j.zeros(dataType, sd.getVariable(name).getShape())); // the bias cancels: exactly 0
        }
        return new OutAndGrad(out.getOutputs(), gradients);
    }

    private INDArray forward(Module m, INDArray x) {
        return memory.outputs(m.graph(), Map.of(INPUT, x), OUTPUT).get(OUTPUT);
    }

    private void requireBatch(INDArray images) {
        if (images == null) throw new IllegalArgumentException("images must not be null");
        spec.input().requireMatches(images.shape(), "images");
        if (images.size(0) < 1) throw new IllegalArgumentException("images: batch must be >= 1, got 0");
    }

    /** Every parameter (trained or not), by whole-network variable name {@code <net>/<layer>/W|b}; the live arrays. */
    @Override public Map<String, INDArray> parameters() { return Collections.unmodifiableMap(parameters); }

    /** The optimiser; save and restore it with {@link Adam#state()} / {@link Adam#restore}. */
    @Override public Adam optimizer() { return adam; }

    /** The native memory every graph call of this trainer goes through. */
    public NativeMemory memory() { return memory; }

    /**
     * Writes everything needed to continue exactly (parameters, Adam state, step) atomically to {@code file}, with the
     * training settings so a mismatched resume is caught. Local training draws no noise: the data order is a function
     * of the step.
     */
    public void saveCheckpoint(java.nio.file.Path file) throws java.io.IOException {
        new Checkpoint("local", settings(), adam.step(), new Noise(0).state(), parameters,
                Map.of("local", adam.state()), "").write(file);
    }

    /** Restores a checkpoint written by {@link #saveCheckpoint} from a trainer built with the same settings. */
    public void restore(java.nio.file.Path file) throws java.io.IOException {
        Checkpoint c = Checkpoint.read(file);
        if (!"local".equals(c.kind())) throw new Checkpoint.CheckpointException(file, "kind '" + c.kind() + "', expected 'local'");
        if (!settings().equals(c.config())) {
            throw new Checkpoint.CheckpointException(file, "saved with other local-training settings " + c.config()
                    + ", this trainer has " + settings());
        }
        for (var e : parameters.entrySet()) e.getValue().assign(c.array(file, e.getKey(), e.getValue()));
        Adam.State state = c.optimizers().get("local");
        if (state == null) throw new Checkpoint.CheckpointException(file, "missing optimizer state 'local'");
        adam.restore(state);
    }

    private java.util.Properties settings() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("network", spec.toString());
        p.setProperty("dataType", dataType.name());
        p.setProperty("alignmentSteps", Integer.toString(alignmentSteps));
        p.setProperty("stepSize", Double.toString(stepSize));
        p.setProperty("trainedModules", Integer.toString(trainedModules));
        p.setProperty("adam", adam.learningRate() + "," + adam.beta1() + "," + adam.beta2() + "," + adam.epsilon());
        return p;
    }

    public NetworkSpec spec() { return spec; }

    public DataType dataType() { return dataType; }

    /** T, inner steps per module. */
    public int alignmentSteps() { return alignmentSteps; }

    /** η, the inner step size. */
    public double stepSize() { return stepSize; }

    /** Number of leading modules trained (all of them unless {@code trainedModules}/{@code referenceCifarBug}). */
    public int trainedModules() { return trainedModules; }

    /** Indices of the trained modules that have parameters: the modules a step reports losses for. */
    public List<Integer> trainedParametrisedModules() {
        List<Integer> out = new ArrayList<>();
        for (Module m : modules) if (m.index() < trainedModules && m.parametrised()) out.add(m.index());
        return out;
    }
}
