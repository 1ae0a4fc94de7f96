package featurealign.train;

/**
 * Training produced a NaN or Inf loss or gradient. The message names the term and the step; the sub-step that failed
 * made no update, and checkpoints already written are untouched.
 */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) { super(message); }

    /** Throws, naming {@code what} and {@code when}, if {@code value} is NaN or infinite. */
    static void requireFinite(String what, double value, String when) {
        if (!Double.isFinite(value)) throw new TrainingDivergedException(what + " is " + value + " at " + when);
    }

    /** Throws, naming the network, the parameter and {@code when}, if a gradient holds a NaN or infinity. */
    static void requireFiniteGradients(String network, java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> gradients,
                                       String when) {
        for (var e : gradients.entrySet()) {
            if (!Double.isFinite(e.getValue().sumNumber().doubleValue())) {
                throw new TrainingDivergedException(network + " gradient of " + e.getKey() + " is not finite at " + when);
            }
        }
    }
}
