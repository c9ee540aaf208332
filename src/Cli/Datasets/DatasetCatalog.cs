using Engine.Data;
using Engine.IO;

namespace Engine.Cli.Datasets;

/// <summary>A dataset's train and test splits.</summary>
/// <param name="Name">The catalog name.</param>
/// <param name="Train">Training images.</param>
/// <param name="Test">Held-out images.</param>
/// <param name="ClassNames">Names of the classes, when known.</param>
internal sealed record DatasetSplits(string Name, ImageDataset Train, ImageDataset Test, IReadOnlyList<string> ClassNames);

/// <summary>
/// The datasets the command line knows by name. Two ship inside the tool (see
/// <c>Datasets/Embedded/README.md</c>): a 6,000 / 1,000 image subset of Fashion-MNIST and one T1
/// brain MRI with its brain mask. The full MNIST and Fashion-MNIST are read from IDX files that
/// <c>scripts/download-data.sh</c> puts in <c>data/</c>.
/// </summary>
internal static class DatasetCatalog
{
    internal const string FashionMnistSmall = "fashion-mnist-small";
    internal const string FashionMnist = "fashion-mnist";
    internal const string Mnist = "mnist";
    internal const string BrainMri = "brain-mri";

    /// <summary>Known names.</summary>
    internal static IReadOnlyList<string> Names { get; } = [FashionMnistSmall, FashionMnist, Mnist, BrainMri];

    /// <summary>The slab of axial slices held out for testing the brain-MRI segmentation: z in [30, 42).</summary>
    internal static readonly Range BrainTestSlab = 30..42;

    private static readonly string[] FashionClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    private static readonly string[] DigitClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>
    /// Loads a dataset by name. <paramref name="dataDirectory"/> overrides where IDX or NIfTI files
    /// are looked for (default <c>data/&lt;name&gt;</c> under the current directory).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="FileNotFoundException">Files missing; the message says how to get them.</exception>
    internal static DatasetSplits Load(string name, string? dataDirectory = null) => name.ToLowerInvariant() switch
    {
        FashionMnistSmall => Classification(name, FashionClasses, part => Embedded(part)),
        FashionMnist => Classification(name, FashionClasses, part => FromDirectory(dataDirectory ?? Path.Combine("data", name), part)),
        Mnist => Classification(name, DigitClasses, part => FromDirectory(dataDirectory ?? Path.Combine("data", name), part)),
        BrainMri => BrainSlices(name, dataDirectory),
        _ => throw new ArgumentException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", Names)}."),
    };

    private static DatasetSplits Classification(string name, string[] classes, Func<string, (Stream Stream, string Source)> open)
    {
        ImageDataset Split(string prefix)
        {
            var (imageStream, imageSource) = open($"{prefix}-images-idx3-ubyte");
            NpyArray images;
            using (imageStream)
                images = IdxFile.ReadImages(imageStream, imageSource);
            var (labelStream, labelSource) = open($"{prefix}-labels-idx1-ubyte");
            int[] labels;
            using (labelStream)
                labels = IdxFile.ReadLabels(labelStream, labelSource);
            if (labels.Length != images.Shape[0])
                throw new InvalidDataException($"'{labelSource}' has {labels.Length} labels for the {images.Shape[0]} images of '{imageSource}'.");
            return new ImageDataset(images.Data, images.Shape[0], 1, images.Shape[2], images.Shape[3], classes.Length, labels);
        }

        return new DatasetSplits(name, Split("train"), Split("test"), classes);
    }

    /// <summary>
    /// 128 x 128 axial slices of one T1 MRI (intensities / 255) with the brain mask (class 1 where the
    /// skull-stripped volume is above 0). Train on every slice outside <see cref="BrainTestSlab"/>, test on it.
    /// </summary>
    private static DatasetSplits BrainSlices(string name, string? dataDirectory)
    {
        const string image = "KmeansTest_T1UCharRaw.nii.gz", mask = "KmeansTest_T1RawSkullStrip.nii.gz";
        NiftiVolume Read(string file)
        {
            var (stream, source) = dataDirectory is null ? Embedded(file) : FromDirectory(dataDirectory, file);
            using (stream)
                return NiftiFile.Read(stream, source);
        }

        var t1 = Read(image);
        var brain = Read(mask);
        if (t1.X != brain.X || t1.Y != brain.Y || t1.Z != brain.Z)
            throw new InvalidDataException($"The MRI is {t1.X}x{t1.Y}x{t1.Z} but its mask {brain.X}x{brain.Y}x{brain.Z}.");
        float max = t1.Data.Max();
        var (testStart, testEnd) = (BrainTestSlab.Start.Value, BrainTestSlab.End.Value);
        ImageDataset Slices(IEnumerable<int> zs)
        {
            var list = zs.ToList();
            int plane = t1.X * t1.Y;
            var pixels = new float[list.Count * plane];
            var labels = new int[list.Count * plane];
            for (int i = 0; i < list.Count; i++)
            {
                var slice = t1.Slice(list[i]);
                var truth = brain.Slice(list[i]);
                for (int p = 0; p < plane; p++)
                {
                    pixels[i * plane + p] = slice[p] / max;
                    labels[i * plane + p] = truth[p] > 0 ? 1 : 0;
                }
            }
            return new ImageDataset(pixels, list.Count, 1, t1.Y, t1.X, 2, masks: labels);
        }

        var train = Slices(Enumerable.Range(0, t1.Z).Where(z => z < testStart || z >= testEnd));
        var test = Slices(Enumerable.Range(testStart, testEnd - testStart));
        return new DatasetSplits(name, train, test, ["background", "brain"]);
    }

    private static (Stream, string) Embedded(string file)
    {
        string resource = file.EndsWith(".gz", StringComparison.Ordinal) ? file : file + ".gz";
        var stream = typeof(DatasetCatalog).Assembly.GetManifestResourceStream($"Engine.Cli.Datasets.Embedded.{resource}")
            ?? throw new FileNotFoundException($"The embedded dataset file '{resource}' is missing from the build.");
        return (stream, $"embedded {resource}");
    }

    private static (Stream, string) FromDirectory(string directory, string file)
    {
        string[] candidates = [Path.Combine(directory, file), Path.Combine(directory, file + ".gz"),
            Path.Combine(directory, file.Replace("test-", "t10k-", StringComparison.Ordinal)), Path.Combine(directory, file.Replace("test-", "t10k-", StringComparison.Ordinal) + ".gz")];
        string? found = candidates.FirstOrDefault(File.Exists);
        if (found is null)
            throw new FileNotFoundException($"'{Path.Combine(directory, file)}[.gz]' does not exist. Run scripts/download-data.sh to fetch the datasets, or pass --data DIR.");
        return (File.OpenRead(found), found);
    }
}
