namespace Engine.IO;

/// <summary>An atomic write in progress (see <see cref="AtomicFile.Begin"/>).</summary>
public sealed class AtomicWriter : IDisposable
{
    private readonly string _target;
    private readonly string _temporary;
    private readonly FileStream _stream;
    private bool _done;

    internal AtomicWriter(string target, string temporary, FileStream stream)
    {
        _target = target;
        _temporary = temporary;
        _stream = stream;
    }

    /// <summary>Where the content goes (a temporary beside the target).</summary>
    public Stream Stream => _stream;

    /// <summary>Flushes the content to disk and renames it over the target.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        try
        {
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            AtomicFile.Replace(_temporary, _target);
            _done = true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Abandons an uncommitted write: the temporary is removed, the target untouched.</summary>
    public void Dispose()
    {
        if (_done)
            return;
        _done = true;
        try
        {
            _stream.Dispose(); // flushes what is buffered, which fails again on a full disk
        }
        catch (IOException)
        {
        }
        finally
        {
            AtomicFile.TryDelete(_temporary);
        }
    }
}
