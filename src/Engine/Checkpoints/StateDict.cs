using System.Globalization;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Checkpoints;

/// <summary>
/// Saving and loading a module's state dict (parameters, buffers, int64 counters) and an
/// optimiser's state as safetensors with PyTorch's names, so a state dict exported from PyTorch
/// loads unchanged. Loading reads and checks every name, shape, type and value (non-finite values
/// are refused) before it changes anything. Names starting with <c>__</c> are reserved for what
/// is not a module's state (<see cref="TrainingCheckpoint"/> keeps the optimiser there) and are
/// skipped by module loads.
/// </summary>
public static class StateDict
{
    /// <summary>The prefix of reserved names.</summary>
    public const string ReservedPrefix = "__";

    /// <summary>Writes the module's state dict to <paramref name="path"/> (atomically).</summary>
    public static void Save(Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsFile.Write(path, Collect(module), metadata);

    /// <summary>The module's state as host tensors (parameters and buffers F32, counters I64 scalars).</summary>
    public static IEnumerable<SafeTensor> Collect(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, state) in module.NamedState())
            yield return SafeTensor.FromFloats(name, state.Value.ToArray(), state.Shape.Dims.ToArray().Select(d => (long)d).ToArray());
        foreach (var (name, get, _) in module.NamedCounters())
            yield return SafeTensor.FromLongs(name, [get()]);
    }

    /// <summary>
    /// Loads a state dict file into the (initialised) module, as PyTorch's <c>load_state_dict</c>.
    /// With <paramref name="strict"/> every name of the module must be in the file and the file must
    /// hold no other (reserved names aside); without, missing and unexpected names are reported,
    /// not refused. Shapes must match unless <paramref name="ignoreMismatchedSizes"/> (Hugging Face's
    /// name): then a tensor of another shape, such as a classifier head with another class count,
    /// is skipped and keeps its initial values, for fine-tuning. F16 and BF16 tensors are widened to
    /// float32 exactly; values must be finite. An error leaves the module as it was.
    /// </summary>
    /// <returns>What was loaded, missing, unexpected, skipped for its shape and widened.</returns>
    /// <exception cref="InvalidDataException">Missing, unexpected, mismatched or non-finite tensors, named; or a damaged file.</exception>
    public static LoadReport Load(Module module, string path, bool strict = true, bool ignoreMismatchedSizes = false)
    {
        using var reader = SafeTensorsReader.Open(path);
        return Load(module, reader, strict, ignoreMismatchedSizes);
    }

    /// <summary>Loads from an open file (see <see cref="Load(Module, string, bool, bool)"/>).</summary>
    public static LoadReport Load(Module module, SafeTensorsReader reader, bool strict = true, bool ignoreMismatchedSizes = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (load, report) = Prepare(module, new ReaderSource(reader), strict, reader.Source, ignoreMismatchedSizes);
        load();
        return report;
    }

    /// <summary>Loads host tensors into the module (see <see cref="Load(Module, string, bool, bool)"/>).</summary>
    public static LoadReport Load(Module module, IReadOnlyDictionary<string, SafeTensor> tensors, bool strict = true, string source = "state dict", bool ignoreMismatchedSizes = false)
    {
        var (load, report) = Prepare(module, new DictionarySource(tensors), strict, source, ignoreMismatchedSizes);
        load();
        return report;
    }

    /// <summary>
    /// Reads and checks everything a load needs and returns the action that writes it into the
    /// module, with the report of what it will have done: a caller loading several things (a
    /// module and an optimiser) checks all before writing any.
    /// </summary>
    internal static (Action Load, LoadReport Report) Prepare(Module module, ITensorSource tensors, bool strict, string source, bool ignoreMismatchedSizes = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        var states = module.NamedState().ToList();
        var counters = module.NamedCounters().ToList();
        var expected = states.Select(s => s.Name).Concat(counters.Select(c => c.Name)).ToHashSet();
        var problems = new List<string>();
        var missing = expected.Where(n => !tensors.Contains(n)).ToList();
        var unexpected = tensors.Names.Where(n => !expected.Contains(n) && !n.StartsWith(ReservedPrefix, StringComparison.Ordinal)).ToList();
        if (missing.Count > 0 && strict)
            problems.Add($"missing {Few(missing)}");
        if (unexpected.Count > 0 && strict)
            problems.Add($"unexpected {Few(unexpected)}");
        var values = new List<(Tensors.Tensor Target, float[] Values)>();
        var mismatched = new List<MismatchedKey>();
        var widened = new List<(string, SafeTensorType)>();
        foreach (var (name, state) in states)
        {
            if (!tensors.Contains(name))
                continue;
            var (type, shape) = tensors.Describe(name);
            long[] expectedShape = state.Shape.Dims.ToArray().Select(d => (long)d).ToArray();
            if (!SafeTensor.IsFloat(type))
                problems.Add($"{name} has dtype {type}, expected F32 (or F16 or BF16)");
            else if (!shape.SequenceEqual(expectedShape) && ignoreMismatchedSizes)
                mismatched.Add(new MismatchedKey(name, shape, expectedShape));
            else if (!shape.SequenceEqual(expectedShape))
                problems.Add($"{name} has shape [{string.Join(", ", shape)}] in the file but [{string.Join(", ", expectedShape)}] in the model" +
                    (problems.Count == 0 ? " (a head for another class count? load with ignoreMismatchedSizes: true to keep the model's)" : ""));
            else if (NonFinite(name, tensors.ReadFloats(name), out var data) is { } bad)
                problems.Add(bad);
            else
            {
                values.Add((state.Value, data));
                if (type != SafeTensorType.F32)
                    widened.Add((name, type));
            }
        }
        var counts = new List<(Action<long> Set, long Value)>();
        foreach (var (name, _, set) in counters)
        {
            if (!tensors.Contains(name))
                continue;
            var (type, shape) = tensors.Describe(name);
            if (SafeTensor.IsFloat(type) || shape.Aggregate(1L, (a, b) => a * b) != 1)
                problems.Add($"{name} must be one integer, got {type} [{string.Join(", ", shape)}]");
            else
                counts.Add((set, tensors.ReadLongs(name)[0]));
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"Cannot load {source} into the model: {Listed(problems)}.");
        var report = new LoadReport
        {
            MissingKeys = missing,
            UnexpectedKeys = unexpected,
            MismatchedKeys = mismatched,
            WidenedKeys = widened,
            LoadedCount = values.Count + counts.Count,
        };
        return (() =>
        {
            foreach (var (target, data) in values)
                target.CopyFrom(data);
            foreach (var (set, value) in counts)
                set(value);
        }, report);
    }

    /// <summary>
    /// The optimiser's state as host tensors named <c>{prefix}state.{index}.{name}</c>, and its
    /// step count, learning rate and type as metadata under <c>{prefix}step</c> and so on.
    /// </summary>
    public static (IEnumerable<SafeTensor> Tensors, Dictionary<string, string> Metadata) CollectOptimizer(Optimizer optimizer, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var tensors = optimizer.State().Select(s =>
            SafeTensor.FromFloats($"{prefix}state.{s.Parameter}.{s.Name}", s.State.ToArray(), s.State.Shape.Dims.ToArray().Select(d => (long)d).ToArray()));
        var metadata = new Dictionary<string, string>
        {
            [prefix + "step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            [prefix + "lr"] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            [prefix + "type"] = optimizer.GetType().Name,
        };
        return (tensors, metadata);
    }

    /// <summary>Writes an optimiser's state to its own file (see <see cref="CollectOptimizer"/>).</summary>
    public static void SaveOptimizer(Optimizer optimizer, string path)
    {
        var (tensors, metadata) = CollectOptimizer(optimizer);
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>Restores an optimiser's state saved by <see cref="SaveOptimizer"/>; checks everything first.</summary>
    public static void LoadOptimizer(Optimizer optimizer, string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        PrepareOptimizer(optimizer, new ReaderSource(reader), reader.Metadata, "", $"optimiser state {reader.Source}")();
    }

    /// <summary>Reads and checks an optimiser's state; returns the action that restores it.</summary>
    internal static Action PrepareOptimizer(Optimizer optimizer, ITensorSource tensors, IReadOnlyDictionary<string, string> metadata, string prefix, string source)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var problems = new List<string>();
        if (!metadata.TryGetValue(prefix + "type", out var type) || type != optimizer.GetType().Name)
            problems.Add($"it holds {(type ?? "no type")} state, not {optimizer.GetType().Name}");
        if (!metadata.TryGetValue(prefix + "step", out var stepText) || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
        {
            problems.Add("its step count is missing or not a non-negative integer");
            step = 0;
        }
        if (!metadata.TryGetValue(prefix + "lr", out var rateText) || !float.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out float rate) || !float.IsFinite(rate) || rate < 0)
        {
            problems.Add("its learning rate is missing or not a non-negative number");
            rate = 0;
        }
        var states = optimizer.State().ToList();
        var values = new List<(Tensors.Tensor Target, float[] Values)>();
        foreach (var (index, name, state) in states)
        {
            string key = $"{prefix}state.{index}.{name}";
            if (!tensors.Contains(key))
            {
                problems.Add($"missing {key}");
                continue;
            }
            var (dtype, shape) = tensors.Describe(key);
            if (dtype != SafeTensorType.F32 || !shape.SequenceEqual(state.Shape.Dims.ToArray().Select(d => (long)d)))
                problems.Add($"{key} is {dtype} [{string.Join(", ", shape)}], expected F32 {state.Shape}");
            else if (NonFinite(key, tensors.ReadFloats(key), out var data) is { } bad)
                problems.Add(bad);
            else
                values.Add((state, data));
        }
        var known = states.Select(s => $"{prefix}state.{s.Parameter}.{s.Name}").ToHashSet();
        var unexpected = tensors.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && !known.Contains(n)).ToList();
        if (unexpected.Count > 0)
            problems.Add($"unexpected {Few(unexpected)}");
        if (problems.Count > 0)
            throw new InvalidDataException($"Cannot load {source}: {Listed(problems)}.");
        return () =>
        {
            foreach (var (target, data) in values)
                target.CopyFrom(data);
            optimizer.Restore(step, rate);
        };
    }

    private static string? NonFinite(string name, float[] values, out float[] data)
    {
        data = values;
        int first = Array.FindIndex(values, v => !float.IsFinite(v));
        if (first < 0)
            return null;
        return $"{name} holds {values.Count(v => !float.IsFinite(v))} non-finite value(s), the first ({values[first].ToString(CultureInfo.InvariantCulture)}) at flat index {first}";
    }

    /// <summary>Most problems one message lists: a file of another model can differ in every tensor, and a line of a hundred mismatches helps no one.</summary>
    internal const int MostListed = 5;

    private static string Listed(List<string> problems) =>
        string.Join("; ", problems.Take(MostListed)) + (problems.Count > MostListed ? $"; and {problems.Count - MostListed} more problem{(problems.Count - MostListed == 1 ? "" : "s")}" : "");

    private static string Few(List<string> names) =>
        $"{string.Join(", ", names.Take(10))}{(names.Count > 10 ? $" and {names.Count - 10} more" : "")}";
}
