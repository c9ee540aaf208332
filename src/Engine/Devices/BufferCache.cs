using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// The released buffers a device keeps for reuse, by element type and length, like PyTorch's
/// caching allocator: a repeated step with the same shapes allocates nothing after the first. The
/// cache holds at most a limit of bytes; beyond it the buffers released longest ago are freed
/// first. Every operation is O(1) (each entry sits in two linked lists: its size's and the
/// release order). Thread-safe.
/// </summary>
internal sealed class BufferCache
{
    private readonly Dictionary<(Type, long), LinkedList<Entry>> _bySize = new();
    private readonly LinkedList<Entry> _byAge = new(); // oldest first
    private long _count;
    private long _bytes;

    /// <summary>Buffers held.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Bytes held.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The most recently released buffer of this element type and length, or null.</summary>
    public MemoryBuffer? Take(Type element, long length)
    {
        lock (_byAge)
        {
            if (!_bySize.TryGetValue((element, length), out var list) || list.Last is not { } newest)
                return null;
            Remove(newest.Value);
            return newest.Value.Buffer;
        }
    }

    /// <summary>Keeps a released buffer, freeing the oldest ones to stay within <paramref name="limit"/> bytes (or this one, if it alone exceeds it).</summary>
    public void Put(Type element, MemoryBuffer buffer, long limit)
    {
        long bytes = buffer.LengthInBytes;
        lock (_byAge)
        {
            if (bytes > limit)
            {
                buffer.Dispose();
                return;
            }
            while (_bytes + bytes > limit && _byAge.First is { } oldest)
            {
                Remove(oldest.Value);
                oldest.Value.Buffer.Dispose();
            }
            var key = (element, buffer.Length);
            if (!_bySize.TryGetValue(key, out var list))
                _bySize[key] = list = new LinkedList<Entry>();
            var entry = new Entry(key, buffer);
            entry.InAge = _byAge.AddLast(entry);
            entry.InSize = list.AddLast(entry);
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _bytes, bytes);
        }
    }

    /// <summary>Forgets every buffer, freeing them when <paramref name="free"/> (not when the accelerator has freed them already).</summary>
    public void Clear(bool free)
    {
        lock (_byAge)
        {
            if (free)
            {
                foreach (var entry in _byAge)
                    entry.Buffer.Dispose();
            }
            _byAge.Clear();
            _bySize.Clear();
            Interlocked.Exchange(ref _count, 0);
            Interlocked.Exchange(ref _bytes, 0);
        }
    }

    private void Remove(Entry entry)
    {
        _byAge.Remove(entry.InAge!);
        _bySize[entry.Key].Remove(entry.InSize!);
        Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -entry.Buffer.LengthInBytes);
    }

    /// <summary>A cached buffer with its places in the two lists.</summary>
    private sealed class Entry((Type, long) key, MemoryBuffer buffer)
    {
        public (Type, long) Key { get; } = key;
        public MemoryBuffer Buffer { get; } = buffer;
        public LinkedListNode<Entry>? InAge { get; set; }
        public LinkedListNode<Entry>? InSize { get; set; }
    }
}
