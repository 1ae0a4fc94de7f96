package featurealign.train;

/**
 * Training produced a NaN or Inf loss or gradient. The message names the term and the step; the sub-step that failed
 * made no update, and checkpoints already written are untouched.
 */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) { super(message); }
}
