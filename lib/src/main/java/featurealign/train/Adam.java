package featurealign.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam exactly as PyTorch's {@code torch.optim.Adam} (no weight decay, no amsgrad): ε is added to the bias-corrected
 * √v̂, unlike ND4J's built-in updater (ND4J M2.1 facts measured for the kit). Updates parameter arrays in place and consumes the
 * gradient arrays (each is overwritten with its parameter's update, so a step allocates nothing and keeps no
 * parameter-sized scratch). Moments are kept per parameter name so an optimiser's state can be saved and restored
 * exactly.
 */
public final class Adam {

    private final double beta1, beta2, epsilon;
    private double learningRate;
    private final Map<String, INDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, INDArray> secondMoment = new LinkedHashMap<>();
    private long step;

    /**
     * @param learningRate step size (the paper: 1e-4)
     * @param beta1        first-moment decay (the paper: 0.5 for encoder, generator and discriminator; 0.9 for local)
     * @param beta2        second-moment decay (0.999)
     * @param epsilon      added to √v̂ (1e-8)
     */
    public Adam(double learningRate, double beta1, double beta2, double epsilon) {
        if (!(learningRate > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)) {
            throw new IllegalArgumentException("invalid Adam settings: lr " + learningRate + ", betas (" + beta1 + ", "
                    + beta2 + "), eps " + epsilon);
        }
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    /** Number of steps taken so far. */
    public long step() { return step; }

    public double learningRate() { return learningRate; }

    /** Sets the step size of the following updates (for a schedule; the moments are kept). */
    public void setLearningRate(double rate) {
        if (!(rate >= 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("Adam: learning rate must be >= 0, got " + rate);
        this.learningRate = rate;
    }

    public double beta1() { return beta1; }

    public double beta2() { return beta2; }

    public double epsilon() { return epsilon; }

    /**
     * One Adam step: for each named parameter, its gradient (same shape and dtype) updates the parameter in place.
     * One fused native pass per parameter, which writes the update over the gradient: the gradient arrays hold the
     * updates afterwards and must not be used as gradients again.
     */
    public void update(Map<String, INDArray> parameters, Map<String, INDArray> gradients) {
        step++;
        double sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
        for (Map.Entry<String, INDArray> e : parameters.entrySet()) {
            String name = e.getKey();
            INDArray p = e.getValue();
            INDArray g = gradients.get(name);
            if (g == null) throw new IllegalArgumentException("Adam: no gradient for parameter " + name);
            if (!java.util.Arrays.equals(g.shape(), p.shape())) {
                throw new IllegalArgumentException("Adam: gradient of " + name + " has shape "
                        + java.util.Arrays.toString(g.shape()) + ", parameter " + java.util.Arrays.toString(p.shape()));
            }
            INDArray m = firstMoment.computeIfAbsent(name, k -> Nd4j.zeros(p.dataType(), p.shape()));
            INDArray v = secondMoment.computeIfAbsent(name, k -> Nd4j.zeros(p.dataType(), p.shape()));
            if (g.isView() || !g.dataType().equals(p.dataType())) {
                throw new IllegalArgumentException("Adam: gradient of " + name + " must be a " + p.dataType()
                        + " array of its own (it receives the update), got " + (g.isView() ? "a view" : g.dataType()));
            }
            // libnd4j's fused adam_updater (one multithreaded, element-wise pass, so writing over g is safe) computes
            //   update = lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε')
            // which is PyTorch's lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε) exactly when ε' = ε·√(1−β2ᵗ).
            Nd4j.exec(new AdamUpdater(g, v, m, g, v, m, learningRate, beta1, beta2, epsilon * sqrtBc2, (int) (step - 1)));
            p.subi(g);
        }
    }

    /** The optimiser state for a checkpoint: step count and both moments by parameter name. */
    public record State(long step, Map<String, INDArray> firstMoment, Map<String, INDArray> secondMoment) {}

    public State state() { return new State(step, firstMoment, secondMoment); }

    /** Restores a state saved by {@link #state()} (arrays are copied). */
    public void restore(State s) {
        step = s.step();
        firstMoment.clear();
        secondMoment.clear();
        s.firstMoment().forEach((k, v) -> firstMoment.put(k, v.dup()));
        s.secondMoment().forEach((k, v) -> secondMoment.put(k, v.dup()));
    }

    /** Parameter names with state, in first-update order. */
    public List<String> names() { return List.copyOf(firstMoment.keySet()); }
}
