package featurealign.train;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * The one shape of a training step (encoder, generator, discriminator, local modules): it builds its graph (the local
 * step: one per module) once, in its constructor, owns its parameters and its Adam, and {@link #run}s on a batch, returning its losses by name. The
 * update itself is {@link GraphUpdate}'s, the same for every step.
 *
 * @param <B> what one step consumes (a record of the step's inputs, or the images themselves)
 */
public interface TrainingStep<B> {

    /**
     * What a step reports: its losses before the update, by name, the first being the total it minimises; and the
     * arrays it hands back (e.g. the encoder's reconstructions), which the caller owns and closes.
     */
    record Result(Map<String, Double> losses, Map<String, INDArray> arrays) {
        public Result {
            losses = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(losses));
            arrays = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(arrays));
        }

        /** The loss {@code name}, or NaN when this step's loss has no such term. */
        public double loss(String name) { return losses.getOrDefault(name, Double.NaN); }

        /** The total this step minimised (its first loss). */
        public double total() { return losses.values().iterator().next(); }

        /** The array {@code name}. */
        public INDArray array(String name) {
            INDArray a = arrays.get(name);
            if (a == null) throw new IllegalArgumentException("this step hands back no array '" + name + "'; it has " + arrays.keySet());
            return a;
        }
    }

    /**
     * One update on {@code batch}.
     *
     * @throws TrainingDivergedException when a loss or gradient is NaN/Inf; then no parameter is updated
     */
    Result run(B batch);

    /** The step's parameters by variable name (live arrays, updated in place by {@link #run}). */
    Map<String, INDArray> parameters();

    /** The step's optimiser (its state goes into checkpoints). */
    Adam optimizer();
}
