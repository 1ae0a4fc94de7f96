package featurealign.data;

import java.util.Locale;

/** The data sets the store knows, with the folder each one lives in under a data root. */
public enum DataSetId {
    MNIST("mnist"),
    FASHION_MNIST("fashion-mnist"),
    CIFAR10("cifar10"),
    CELEBA("celeba");

    private final String directoryName;

    DataSetId(String directoryName) {
        this.directoryName = directoryName;
    }

    /** Folder name under a data root: "mnist", "fashion-mnist", "cifar10" or "celeba". */
    public String directoryName() {
        return directoryName;
    }

    /** Parses a folder name or enum name, case-insensitively ("mnist", "fashion-mnist", "FASHION_MNIST", ...). */
    public static DataSetId parse(String text) {
        String key = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (DataSetId id : values()) {
            if (id.directoryName.equals(key) || id.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(key)) {
                return id;
            }
        }
        throw new IllegalArgumentException("unknown data set '" + text + "'; expected one of mnist, fashion-mnist,"
                + " cifar10, celeba");
    }
}
