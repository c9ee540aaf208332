namespace Engine.IO;

/// <summary>An atomic write in progress (see <see cref="AtomicFile.Begin"/>).</summary>
public sealed class AtomicWriter : IDisposable
{
    private readonly string _target;
    private readonly string _temporary;
    private readonly FileStream _file;
    private readonly FailureNaming _stream;
    private bool _done;

    internal AtomicWriter(string target, string temporary, FileStream file)
    {
        _target = target;
        _temporary = temporary;
        _file = file;
        _stream = new FailureNaming(file, target);
    }

    /// <summary>Where the content goes (a temporary beside the target). A failed write (a full disk) is an <see cref="IOException"/> naming the target.</summary>
    public Stream Stream => _stream;

    /// <summary>Flushes the content to disk and renames it over the target.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        try
        {
            _stream.Flush();
            _stream.Guard(() => _file.Flush(flushToDisk: true));
            _file.Dispose();
            AtomicFile.Replace(this, _temporary, _target);
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
            _file.Dispose(); // flushes what is buffered, which fails again on a full disk
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
        }
        finally
        {
            AtomicFile.TryDelete(_temporary);
            AtomicFile.Forget(this);
        }
    }

    /// <summary>For <see cref="AtomicFile.AbandonAll"/>: deletes the temporary (the stream stays open; the process is ending); whether it was there.</summary>
    internal bool RemoveTemporary()
    {
        bool existed = File.Exists(_temporary);
        AtomicFile.TryDelete(_temporary);
        _done = true;
        return existed;
    }

    /// <summary>
    /// Passes writes to the file and turns its failures into one kind of error that names the target:
    /// .NET reports a full disk as an <see cref="IOException"/> (ENOSPC) but a file-size limit (EFBIG)
    /// as an <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    private sealed class FailureNaming(FileStream file, string target) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => file.Length;
        public override long Position { get => file.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Guard(() => file.Write(buffer, offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                file.Write(buffer);
            }
            catch (Exception e) when (e is IOException or ArgumentOutOfRangeException)
            {
                throw Named(e);
            }
        }

        public override void Flush() => Guard(file.Flush);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is IOException or ArgumentOutOfRangeException)
            {
                throw Named(e);
            }
        }

        private IOException Named(Exception e)
        {
            bool tooLarge = e is ArgumentOutOfRangeException;
            string reason = tooLarge ? "the file is larger than the file system or the process's file-size limit allows (File too large)" : e.Message;
            return new IOException($"cannot write '{target}': {reason}", e) { HResult = tooLarge ? 27 : e.HResult };
        }
    }
}
