package featurealign.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The parsed and cross-checked CelebA annotation files of one directory: {@code list_attr_celeba.txt} (line 1 the
 * image count, line 2 the 40 attribute names, then one row per image: file name and 40 values of 1 or -1),
 * {@code list_eval_partition.txt} (file name, 0 = train, 1 = validation, 2 = test) and, when present,
 * {@code identity_CelebA.txt} (file name, identity id). LF or CRLF line endings.
 *
 * <p>Rows are kept in the order of the attribute file. Every image must appear exactly once in each file; any
 * disagreement is a {@link DataFormatException} naming the file and line.
 */
public final class CelebAAnnotations {
    public static final String ATTRIBUTES_FILE = "list_attr_celeba.txt";
    public static final String PARTITION_FILE = "list_eval_partition.txt";
    public static final String IDENTITY_FILE = "identity_CelebA.txt";
    public static final String IMAGE_DIR = "img_align_celeba";
    public static final int ATTRIBUTE_COUNT = 40;

    /** Plain file names only: no directory parts, so a row can never point outside the image folder. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    private final Path directory;
    private final List<String> attributeNames;
    private final String[] fileNames;
    private final byte[][] attributes;
    private final int[] partitions;
    private final int[] identities;

    private CelebAAnnotations(Path directory, List<String> attributeNames, String[] fileNames, byte[][] attributes,
                              int[] partitions, int[] identities) {
        this.directory = directory;
        this.attributeNames = attributeNames;
        this.fileNames = fileNames;
        this.attributes = attributes;
        this.partitions = partitions;
        this.identities = identities;
    }

    /** Parses and cross-checks the annotation files of a CelebA directory (images are not touched). */
    public static CelebAAnnotations read(Path dir) throws DataFormatException {
        Path attrFile = dir.resolve(ATTRIBUTES_FILE);
        Path partitionFile = dir.resolve(PARTITION_FILE);
        Path identityFile = dir.resolve(IDENTITY_FILE);
        List<String> attrLines = lines(attrFile);
        if (attrLines.isEmpty()) {
            throw new DataFormatException(attrFile, "empty file: expected line 1 = number of images");
        }
        int declared;
        try {
            declared = Integer.parseInt(attrLines.get(0).strip());
        } catch (NumberFormatException e) {
            throw new DataFormatException(attrFile, "line 1: expected the number of images, found '"
                    + abbreviate(attrLines.get(0)) + "'");
        }
        if (declared < 0) {
            throw new DataFormatException(attrFile, "line 1: image count " + declared + " is negative");
        }
        if (attrLines.size() < 2) {
            throw new DataFormatException(attrFile, "line 2 missing: expected the " + ATTRIBUTE_COUNT
                    + " attribute names");
        }
        String[] names = attrLines.get(1).strip().split("\\s+");
        if (names.length != ATTRIBUTE_COUNT || names[0].isEmpty()) {
            throw new DataFormatException(attrFile, "line 2: expected " + ATTRIBUTE_COUNT
                    + " attribute names, found " + (names[0].isEmpty() ? 0 : names.length));
        }
        if (new HashSet<>(List.of(names)).size() != names.length) {
            throw new DataFormatException(attrFile, "line 2: attribute names are not unique");
        }
        int last = lastNonBlank(attrLines);
        List<String> fileNames = new ArrayList<>();
        List<byte[]> rows = new ArrayList<>();
        Map<String, Integer> rowOf = new HashMap<>();
        for (int l = 2; l < last; l++) {
            int lineNo = l + 1;
            String line = attrLines.get(l);
            if (line.isBlank()) {
                throw new DataFormatException(attrFile, "line " + lineNo + ": empty line among the attribute rows");
            }
            String[] fields = line.strip().split("\\s+");
            if (fields.length != ATTRIBUTE_COUNT + 1) {
                throw new DataFormatException(attrFile, "line " + lineNo + ": expected " + (ATTRIBUTE_COUNT + 1)
                        + " fields (file name + " + ATTRIBUTE_COUNT + " values of 1 or -1), found " + fields.length);
            }
            String file = checkName(attrFile, lineNo, fields[0]);
            byte[] values = new byte[ATTRIBUTE_COUNT];
            for (int a = 0; a < ATTRIBUTE_COUNT; a++) {
                String v = fields[a + 1];
                if (v.equals("1")) {
                    values[a] = 1;
                } else if (v.equals("-1")) {
                    values[a] = -1;
                } else {
                    throw new DataFormatException(attrFile, "line " + lineNo + ": value '" + abbreviate(v)
                            + "' for attribute " + names[a] + ", expected 1 or -1");
                }
            }
            Integer previous = rowOf.putIfAbsent(file, rows.size());
            if (previous != null) {
                throw new DataFormatException(attrFile, "line " + lineNo + ": second row for " + file
                        + " (first on line " + (previous + 3) + ")");
            }
            fileNames.add(file);
            rows.add(values);
        }
        if (rows.size() != declared) {
            throw new DataFormatException(attrFile, "line 1 says " + declared + " images, but the file has "
                    + rows.size() + " attribute rows");
        }
        int n = rows.size();
        int[] partitions = readKeyed(partitionFile, rowOf, fileNames, "partition", true);
        int[] identities = Files.exists(identityFile)
                ? readKeyed(identityFile, rowOf, fileNames, "identity", false) : null;
        return new CelebAAnnotations(dir, List.of(names), fileNames.toArray(new String[0]),
                rows.toArray(new byte[n][]), partitions, identities);
    }

    /** Reads "file value" lines; every image must have exactly one line and every line a known image. */
    private static int[] readKeyed(Path file, Map<String, Integer> rowOf, List<String> fileNames, String what,
                                   boolean partition) throws DataFormatException {
        List<String> lines = lines(file);
        int[] values = new int[fileNames.size()];
        int[] lineOf = new int[fileNames.size()];
        int last = lastNonBlank(lines);
        for (int l = 0; l < last; l++) {
            int lineNo = l + 1;
            String line = lines.get(l);
            if (line.isBlank()) {
                throw new DataFormatException(file, "line " + lineNo + ": empty line");
            }
            String[] fields = line.strip().split("\\s+");
            if (fields.length != 2) {
                throw new DataFormatException(file, "line " + lineNo + ": expected 2 fields (file name, " + what
                        + "), found " + fields.length);
            }
            String name = checkName(file, lineNo, fields[0]);
            Integer row = rowOf.get(name);
            if (row == null) {
                throw new DataFormatException(file, "line " + lineNo + ": image " + name + " has no row in "
                        + ATTRIBUTES_FILE);
            }
            if (lineOf[row] != 0) {
                throw new DataFormatException(file, "line " + lineNo + ": second line for " + name
                        + " (first on line " + lineOf[row] + ")");
            }
            int value;
            try {
                value = Integer.parseInt(fields[1]);
            } catch (NumberFormatException e) {
                value = -1;
            }
            if (partition ? value < 0 || value > 2 : value <= 0) {
                throw new DataFormatException(file, "line " + lineNo + ": " + what + " '" + abbreviate(fields[1])
                        + "', expected " + (partition ? "0 (train), 1 (validation) or 2 (test)" : "a positive id"));
            }
            values[row] = value;
            lineOf[row] = lineNo;
        }
        for (int r = 0; r < lineOf.length; r++) {
            if (lineOf[r] == 0) {
                throw new DataFormatException(file, "no line for image " + fileNames.get(r) + " (row on line "
                        + (r + 3) + " of " + ATTRIBUTES_FILE + ")");
            }
        }
        return values;
    }

    private static List<String> lines(Path file) throws DataFormatException {
        try {
            return TextLines.read(file);
        } catch (DataFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFormatException(file, "could not read (" + e + ")", e);
        }
    }

    private static String checkName(Path file, int lineNo, String name) throws DataFormatException {
        if (!FILE_NAME.matcher(name).matches()) {
            throw new DataFormatException(file, "line " + lineNo + ": '" + abbreviate(name)
                    + "' is not a plain image file name");
        }
        return name;
    }

    private static int lastNonBlank(List<String> lines) {
        int last = lines.size();
        while (last > 0 && lines.get(last - 1).isBlank()) {
            last--;
        }
        return last;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    /** The CelebA directory these annotations came from. */
    public Path directory() {
        return directory;
    }

    /** Number of images (attribute rows). */
    public int size() {
        return fileNames.length;
    }

    /** The 40 attribute names in file order. */
    public List<String> attributeNames() {
        return attributeNames;
    }

    /** File name of row {@code row} (e.g. "000001.jpg"). */
    public String fileName(int row) {
        return fileNames[row];
    }

    /** The image file of row {@code row}: {@code <dir>/img_align_celeba/<name>}. */
    public Path imageFile(int row) {
        return directory.resolve(IMAGE_DIR).resolve(fileNames[row]);
    }

    /** A copy of the ±1 attribute vector of row {@code row}. */
    public byte[] attributes(int row) {
        return attributes[row].clone();
    }

    /** Official partition of row {@code row}. */
    public Split split(int row) {
        return switch (partitions[row]) {
            case 0 -> Split.TRAIN;
            case 1 -> Split.VALIDATION;
            default -> Split.TEST;
        };
    }

    /** Identity id of row {@code row}, or -1 when there is no identity file. */
    public int identity(int row) {
        return identities == null ? -1 : identities[row];
    }

    /** True when identity_CelebA.txt was present. */
    public boolean hasIdentities() {
        return identities != null;
    }

    /** Rows of one partition (ascending), or all rows when {@code split} is null. */
    public int[] rows(Split split) {
        int code = split == null ? -1 : split.ordinal();
        return java.util.stream.IntStream.range(0, fileNames.length)
                .filter(r -> code < 0 || partitions[r] == code).toArray();
    }

    byte[] attributeRow(int row) {
        return attributes[row];
    }

    /** Distinct identities in the given rows (empty when there is no identity file). */
    public Set<Integer> identitiesOf(int[] rows) {
        Set<Integer> ids = new HashSet<>();
        if (identities != null) {
            for (int r : rows) {
                ids.add(identities[r]);
            }
        }
        return ids;
    }
}
