using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>TEMPORARY naive backward GEMMs; replaced by the blocked kernels.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Gemm
{
    /// <summary>C = or += A·panel.</summary>
    public static void PanelGemm(ref float a, int aRowStride, int aColStride, int rows, int depth, ref float panel, ref float c, int ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < 32; j++)
            {
                float s = 0;
                for (int t = 0; t < depth; t++)
                {
                    s += Unsafe.Add(ref a, (r * aRowStride) + (t * aColStride)) * Unsafe.Add(ref panel, (t * 32) + j);
                }

                ref float d = ref Unsafe.Add(ref c, (r * ldc) + j);
                d = accumulate ? d + s : s;
            }
        }
    }

    /// <summary>C += Σ panels A·Bᵀ.</summary>
    public static void PanelDotGemm(ref float a, int aPanelStride, int aRowStride, ref float b, int bPanelStride, int bRowStride, int panels, int rows, int cols, ref float c, int ldc)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < cols; q++)
            {
                double s = 0;
                for (int pb = 0; pb < panels; pb++)
                {
                    for (int j = 0; j < 32; j++)
                    {
                        s += Unsafe.Add(ref a, (pb * aPanelStride) + (r * aRowStride) + j) * Unsafe.Add(ref b, (pb * bPanelStride) + (q * bRowStride) + j);
                    }
                }

                Unsafe.Add(ref c, (r * ldc) + q) += (float)s;
            }
        }
    }

    /// <summary>C = or += A·B.</summary>
    public static void AxpyRows(ref float a, int aRowStride, int aColStride, ref float b, int ldb, int rows, int depth, int length, ref float c, int ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < length; i++)
            {
                double s = 0;
                for (int t = 0; t < depth; t++)
                {
                    s += Unsafe.Add(ref a, (r * aRowStride) + (t * aColStride)) * Unsafe.Add(ref b, (t * ldb) + i);
                }

                ref float d = ref Unsafe.Add(ref c, (r * ldc) + i);
                d = accumulate ? d + (float)s : (float)s;
            }
        }
    }

    /// <summary>Rows into zero-padded panels.</summary>
    public static void PackRows(ref float source, int rows, int length, ref float panels)
    {
        int count = (length + 31) / 32;
        for (int pb = 0; pb < count; pb++)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < 32; j++)
                {
                    int i = (pb * 32) + j;
                    Unsafe.Add(ref panels, (((pb * rows) + r) * 32) + j) = i < length ? Unsafe.Add(ref source, (r * length) + i) : 0f;
                }
            }
        }
    }

    /// <summary>Row sums.</summary>
    public static void RowSums(ref float source, int rows, int length, ref float destination)
    {
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int i = 0; i < length; i++)
            {
                s += Unsafe.Add(ref source, (r * length) + i);
            }

            Unsafe.Add(ref destination, r) += (float)s;
        }
    }

    /// <summary>Column sums.</summary>
    public static void ColumnSums(ref float source, int rows, int cols, ref float destination)
    {
        for (int q = 0; q < cols; q++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++)
            {
                s += Unsafe.Add(ref source, (r * cols) + q);
            }

            Unsafe.Add(ref destination, q) += (float)s;
        }
    }
}
