package featurealign.data;

import java.nio.file.Path;

/**
 * A data set could not be found in any searched place and could not be fetched. The message lists the missing
 * files with their checksums, where to put them, the directories searched (and why each was rejected) and the
 * URLs tried.
 */
public class DataMissingException extends DataFormatException {
    public DataMissingException(Path where, String detail) {
        super(where, detail);
    }
}
