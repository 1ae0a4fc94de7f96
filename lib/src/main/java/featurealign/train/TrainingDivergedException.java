package featurealign.train;

/**
 * Training produced a NaN or Inf loss or gradient. The message names the network, the losses and the step; the step
 * that failed made no update ({@link GraphUpdate} checks before it updates), and checkpoints already written are
 * untouched.
 */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) { super(message); }
}
