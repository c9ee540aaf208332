using System.Collections.Immutable;

namespace Engine.Tensors;

/// <summary>
/// An immutable tensor shape, row-major (the last dimension is contiguous). Images are NCHW.
/// Every dimension is positive; a rank-0 shape is a scalar with one element.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly ImmutableArray<int> _dims;

    /// <summary>Creates a shape; every dimension must be positive.</summary>
    /// <exception cref="ArgumentException">A dimension is zero or negative; the message gives the shape.</exception>
    public Shape(params int[] dims) : this((ReadOnlySpan<int>)dims) { }

    /// <summary>Creates a shape; every dimension must be positive.</summary>
    public Shape(ReadOnlySpan<int> dims)
    {
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] <= 0)
                throw new ArgumentException($"Shape {Format(dims)} has dimension {i} = {dims[i]}; every dimension must be positive.", nameof(dims));
        }
        long count = 1;
        foreach (int d in dims)
        {
            count *= d;
            if (count > MaxElements)
                throw new ArgumentException($"Shape {Format(dims)} has more than {MaxElements} elements.", nameof(dims));
        }
        _dims = ImmutableArray.Create(dims);
    }

    /// <summary>Largest element count of one tensor (kernels index with 64-bit offsets; 2^40 keeps sums safe).</summary>
    public const long MaxElements = 1L << 40;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.IsDefault ? 0 : _dims.Length;

    /// <summary>The dimensions.</summary>
    public ReadOnlySpan<int> Dims => _dims.IsDefault ? ReadOnlySpan<int>.Empty : _dims.AsSpan();

    /// <summary>Dimension <paramref name="axis"/>; negative axes count from the end, as in PyTorch.</summary>
    public int this[int axis] => Dims[NormalizeAxis(axis)];

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long Numel
    {
        get
        {
            long n = 1;
            foreach (int d in Dims)
                n *= d;
            return n;
        }
    }

    /// <summary>Maps a possibly negative axis to <c>[0, Rank)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside <c>[-Rank, Rank)</c>.</exception>
    public int NormalizeAxis(int axis)
    {
        int rank = Rank;
        if (axis < -rank || axis >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis {axis} is out of range for shape {this} of rank {rank}.");
        return axis < 0 ? axis + rank : axis;
    }

    /// <summary>Product of the dimensions in <c>[start, end)</c>.</summary>
    public long Product(int start, int end)
    {
        long n = 1;
        for (int i = start; i < end; i++)
            n *= Dims[i];
        return n;
    }

    /// <summary>This shape with one axis removed.</summary>
    public Shape Without(int axis)
    {
        int a = NormalizeAxis(axis);
        var dims = new int[Rank - 1];
        for (int i = 0, j = 0; i < Rank; i++)
        {
            if (i != a)
                dims[j++] = Dims[i];
        }
        return new Shape(dims);
    }

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in Dims)
            hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>Equality of dimensions.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Inequality of dimensions.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary><c>[2, 3, 4]</c>.</summary>
    public override string ToString() => Format(Dims);

    private static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
}
