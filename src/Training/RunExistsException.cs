namespace Engine.Training;

/// <summary>A new run was asked for in a folder that holds one (<see cref="RunFolder.PrepareNew"/> without overwrite).</summary>
public sealed class RunExistsException : IOException
{
    internal RunExistsException(string folder, string run)
        : base($"'{folder}' holds a run ({run}): resume it (RunFolder.PrepareResume), replace it (PrepareNew with overwrite), or choose another folder.")
    {
        Folder = folder;
        Run = run;
    }

    /// <summary>The folder, as given.</summary>
    public string Folder { get; }

    /// <summary>What the run is: <c>classification, epoch 2 of 3, accuracy 84.20%</c>.</summary>
    public string Run { get; }
}
