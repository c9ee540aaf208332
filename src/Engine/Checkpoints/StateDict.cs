using Engine.Modules;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Checkpoints;

/// <summary>
/// Saving and loading a module's state dict (parameters, buffers, int64 counters) and an
/// optimiser's state as safetensors with PyTorch's names, so a state dict exported from PyTorch
/// loads unchanged. Loading checks every name, shape and type before it changes anything.
/// </summary>
public static class StateDict
{
    /// <summary>Writes the module's state dict to <paramref name="path"/> (atomically).</summary>
    public static void Save(Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsFile.Write(path, Collect(module), metadata);

    /// <summary>The module's state as host tensors (parameters and buffers F32, counters I64 scalars).</summary>
    public static IEnumerable<SafeTensor> Collect(Module module)
    {
        foreach (var (name, state) in module.NamedState())
            yield return SafeTensor.FromFloats(name, state.Value.ToArray(), state.Shape.Dims.ToArray().Select(d => (long)d).ToArray());
        foreach (var (name, get, _) in module.NamedCounters())
            yield return SafeTensor.FromLongs(name, [get()]);
    }

    /// <summary>
    /// Loads a state dict into the (initialised) module. With <paramref name="strict"/> every
    /// name of the module must be in the file and the file must hold no other; shapes and types
    /// must match. All checks happen before any tensor is written: an error leaves the module as it was.
    /// </summary>
    /// <exception cref="InvalidDataException">Missing, unexpected or mismatched tensors, named; or a damaged file.</exception>
    public static void Load(Module module, string path, bool strict = true) => Load(module, SafeTensorsFile.Read(path).Tensors, strict, path);

    /// <summary>Loads host tensors into the module (see <see cref="Load(Module, string, bool)"/>).</summary>
    public static void Load(Module module, IReadOnlyDictionary<string, SafeTensor> tensors, bool strict = true, string source = "state dict")
    {
        var states = module.NamedState().ToList();
        var counters = module.NamedCounters().ToList();
        var expected = states.Select(s => s.Name).Concat(counters.Select(c => c.Name)).ToHashSet();
        var problems = new List<string>();
        var missing = expected.Where(n => !tensors.ContainsKey(n)).ToList();
        var unexpected = tensors.Keys.Where(n => !expected.Contains(n)).ToList();
        if (missing.Count > 0 && strict)
            problems.Add($"missing {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? $" and {missing.Count - 10} more" : "")}");
        if (unexpected.Count > 0 && strict)
            problems.Add($"unexpected {string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? $" and {unexpected.Count - 10} more" : "")}");
        foreach (var (name, state) in states)
        {
            if (!tensors.TryGetValue(name, out var t))
                continue;
            long[] shape = state.Shape.Dims.ToArray().Select(d => (long)d).ToArray();
            if (t.Type != SafeTensorType.F32)
                problems.Add($"{name} has dtype {t.Type}, expected F32");
            else if (!t.Shape.SequenceEqual(shape))
                problems.Add($"{name} has shape {t.ShapeText} in the file but [{string.Join(", ", shape)}] in the model");
        }
        foreach (var (name, _, _) in counters)
        {
            if (tensors.TryGetValue(name, out var t) && (t.Type == SafeTensorType.F32 || t.Count != 1))
                problems.Add($"{name} must be one integer, got {t.Type} {t.ShapeText}");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"Cannot load {source} into {module.GetType().Name}: {string.Join("; ", problems)}.");

        foreach (var (name, state) in states)
        {
            if (tensors.TryGetValue(name, out var t))
                state.Value.CopyFrom(t.ToFloats());
        }
        foreach (var (name, _, set) in counters)
        {
            if (tensors.TryGetValue(name, out var t))
                set(t.ToLongs()[0]);
        }
    }

    /// <summary>Writes an optimiser's state (<c>state.{index}.{name}</c>, step count and learning rate in the metadata).</summary>
    public static void SaveOptimizer(Optimizer optimizer, string path)
    {
        var tensors = optimizer.State().Select(s =>
            SafeTensor.FromFloats($"state.{s.Parameter}.{s.Name}", s.State.ToArray(), s.State.Shape.Dims.ToArray().Select(d => (long)d).ToArray()));
        var metadata = new Dictionary<string, string>
        {
            ["step"] = optimizer.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["lr"] = optimizer.LearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["type"] = optimizer.GetType().Name,
        };
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>Restores an optimiser's state saved by <see cref="SaveOptimizer"/>; checks everything first.</summary>
    public static void LoadOptimizer(Optimizer optimizer, string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Read(path);
        var problems = new List<string>();
        if (!metadata.TryGetValue("type", out var type) || type != optimizer.GetType().Name)
            problems.Add($"it holds {(type ?? "no type")} state, not {optimizer.GetType().Name}");
        if (!metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, System.Globalization.CultureInfo.InvariantCulture, out _))
            problems.Add("its step count is missing");
        if (!metadata.TryGetValue("lr", out var rateText) || !float.TryParse(rateText, System.Globalization.CultureInfo.InvariantCulture, out _))
            problems.Add("its learning rate is missing");
        var states = optimizer.State().ToList();
        foreach (var (index, name, state) in states)
        {
            string key = $"state.{index}.{name}";
            if (!tensors.TryGetValue(key, out var t))
                problems.Add($"missing {key}");
            else if (!t.Shape.SequenceEqual(state.Shape.Dims.ToArray().Select(d => (long)d)))
                problems.Add($"{key} has shape {t.ShapeText}, expected {state.Shape}");
        }
        var unexpected = tensors.Keys.Except(states.Select(s => $"state.{s.Parameter}.{s.Name}")).ToList();
        if (unexpected.Count > 0)
            problems.Add($"unexpected {string.Join(", ", unexpected.Take(10))}");
        if (problems.Count > 0)
            throw new InvalidDataException($"Cannot load optimiser state '{path}': {string.Join("; ", problems)}.");
        foreach (var (index, name, state) in states)
            state.CopyFrom(tensors[$"state.{index}.{name}"].ToFloats());
        optimizer.Restore(long.Parse(metadata["step"], System.Globalization.CultureInfo.InvariantCulture),
            float.Parse(metadata["lr"], System.Globalization.CultureInfo.InvariantCulture));
    }
}
