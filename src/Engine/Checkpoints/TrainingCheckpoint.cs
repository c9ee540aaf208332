using Engine.Modules;
using Engine.Optim;

namespace Engine.Checkpoints;

/// <summary>
/// A whole training state in one safetensors file, so that it is committed by one atomic rename:
/// the model's state dict under its own (PyTorch) names, the optimiser's state under
/// <c>__optimizer__.state.{index}.{name}</c> with its step count, rate and type in the metadata, and
/// the caller's metadata (run settings, epoch, random-generator state). A crash at any instant leaves
/// the previous file or the new one, never a model from one step with an optimiser from another.
/// <see cref="StateDict.Load(Module, string, bool, bool)"/> reads the model part and skips the rest, so the
/// file serves <c>predict</c> as it is; in PyTorch, <c>load_state_dict(..., strict=False)</c> or
/// dropping the keys that start with <c>__</c> does the same.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The prefix of the optimiser's tensors and metadata.</summary>
    public const string OptimizerPrefix = StateDict.ReservedPrefix + "optimizer__.";

    /// <summary>Writes model, optimiser and <paramref name="metadata"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Module model, Optimizer optimizer, IReadOnlyDictionary<string, string> metadata) =>
        Save([path], model, optimizer, metadata);

    /// <summary>
    /// Writes the same state to each of <paramref name="paths"/> in order, each atomically (a run's
    /// best and last checkpoints): the tensors are copied from the device and checked once, and the
    /// files hold the same bytes. A failure leaves the files not yet written as they were.
    /// </summary>
    public static void Save(IReadOnlyList<string> paths, Module model, Optimizer optimizer, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(metadata);
        if (paths.Count == 0)
            throw new ArgumentException("No path to write the checkpoint to.", nameof(paths));
        var (optimizerTensors, optimizerMetadata) = StateDict.CollectOptimizer(optimizer, OptimizerPrefix);
        foreach (var (key, value) in metadata)
        {
            if (key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"Metadata key '{key}' is reserved for the optimiser.", nameof(metadata));
            optimizerMetadata[key] = value;
        }
        var tensors = StateDict.Collect(model).Concat(optimizerTensors).ToList();
        // The loader refuses non-finite values (StateDict.Load), so a checkpoint holding one could
        // never be resumed or evaluated: it is not written, and the file it would replace stays.
        foreach (var tensor in tensors.Where(t => t.Type == SafeTensorType.F32))
        {
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Data);
            for (int i = 0; i < values.Length; i++)
            {
                float value = BitConverter.IsLittleEndian ? values[i] : System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(tensor.Data.AsSpan(4 * i));
                if (!float.IsFinite(value))
                    throw new InvalidDataException($"Not writing {string.Join(" or ", paths.Select(p => $"'{p}'"))}: {tensor.Name} holds a non-finite value ({value}) at flat index {i}, which no load would take; the {(paths.Count == 1 ? "file there is" : "files there are")} unchanged.");
            }
        }
        foreach (var target in paths)
            SafeTensorsFile.Write(target, tensors, optimizerMetadata);
    }

    /// <summary>The metadata of a checkpoint (the header only is read).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        return reader.Metadata;
    }

    /// <summary>
    /// Restores model and optimiser from a checkpoint, after reading and checking all of it: on any
    /// error neither is changed.
    /// </summary>
    /// <exception cref="InvalidDataException">A damaged file, or state that does not fit the model or optimiser, named.</exception>
    public static void Load(string path, Module model, Optimizer optimizer)
    {
        using var reader = SafeTensorsReader.Open(path);
        var source = new ReaderSource(reader);
        var (loadModel, _) = StateDict.Prepare(model, source, strict: true, reader.Source);
        var loadOptimizer = StateDict.PrepareOptimizer(optimizer, source, reader.Metadata, OptimizerPrefix, $"the optimiser state in {reader.Source}");
        loadModel();
        loadOptimizer();
    }
}
