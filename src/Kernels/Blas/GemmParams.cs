namespace Engine.Kernels.Blas;

/// <summary>
/// One batched, strided, row-major GEMM: for every batch entry <c>b</c>,
/// <c>C[b] = Alpha * op(A[b]) * op(B[b]) + Beta * C[b]</c>, where <c>op(A)</c> is <c>[M, K]</c>,
/// <c>op(B)</c> is <c>[K, N]</c> and <c>C</c> is <c>[M, N]</c>.
/// </summary>
/// <remarks>
/// Leading dimensions are the row pitch of the matrix as stored (before the transpose), so a
/// transposed A is stored <c>[K, M]</c> with <c>Lda &gt;= M</c>. A batch stride of 0 broadcasts one
/// matrix to every batch entry (a convolution's weights shared by all images).
/// <c>Beta == 0</c> means C is not read, so it may hold anything (NaN included), as in BLAS.
/// The engine validates every field before a launch; kernels trust them.
/// </remarks>
public readonly struct GemmParams
{
    /// <summary>Rows of op(A) and C.</summary>
    public readonly int M;
    /// <summary>Columns of op(B) and C.</summary>
    public readonly int N;
    /// <summary>Columns of op(A), rows of op(B).</summary>
    public readonly int K;
    /// <summary>Row pitch of A as stored.</summary>
    public readonly int Lda;
    /// <summary>Row pitch of B as stored.</summary>
    public readonly int Ldb;
    /// <summary>Row pitch of C.</summary>
    public readonly int Ldc;
    /// <summary>Elements between consecutive A matrices (0 broadcasts).</summary>
    public readonly long StrideA;
    /// <summary>Elements between consecutive B matrices (0 broadcasts).</summary>
    public readonly long StrideB;
    /// <summary>Elements between consecutive C matrices.</summary>
    public readonly long StrideC;
    /// <summary>Number of matrices in the batch.</summary>
    public readonly int Batch;
    /// <summary>Scale of the product.</summary>
    public readonly float Alpha;
    /// <summary>Scale of the previous C; 0 means C is write-only.</summary>
    public readonly float Beta;

    /// <summary>Creates the parameters of one GEMM launch.</summary>
    public GemmParams(int m, int n, int k, int lda, int ldb, int ldc,
        long strideA, long strideB, long strideC, int batch, float alpha, float beta)
    {
        M = m; N = n; K = k; Lda = lda; Ldb = ldb; Ldc = ldc;
        StrideA = strideA; StrideB = strideB; StrideC = strideC;
        Batch = batch; Alpha = alpha; Beta = beta;
    }
}
