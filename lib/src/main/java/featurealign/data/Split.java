package featurealign.data;

/** The official split of a data set. MNIST and CIFAR-10 have no validation split. */
public enum Split {
    TRAIN, VALIDATION, TEST;

    /** Lower-case name used in set names and messages ("train", "validation", "test"). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
