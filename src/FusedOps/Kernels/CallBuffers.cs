using System;
using System.ComponentModel;

namespace FusedOps.Kernels;

/// <summary>
/// The generated code's per-call arrays (a generated <c>Infer</c>'s activations between groups) and its constructors' fills,
/// without the generic framework code that a process would otherwise compile on a model's first call.
/// </summary>
/// <remarks>
/// <para>
/// <c>ArrayPool&lt;float&gt;.Shared</c> and <c>Array.Fill&lt;float&gt;</c> are generic framework methods that the runtime's
/// precompiled framework code does not cover on every machine: on the AVX-512 machines of docs/performance.md ("First calls")
/// their first use compiled 5–9 ms and 4–12 ms of framework code in the JIT, inside the first result of every model. These
/// are a few lines of plain code instead.
/// </para>
/// <para>
/// Arrays are kept per thread for the thread's life (as <see cref="ConvParallel.CallScratch"/> is): a thread's returned arrays
/// wait in its own free list, and <see cref="Rent"/> takes the shortest one that is long enough, so after a thread's first call
/// of a model its calls allocate nothing; the list grows to the most arrays the thread has out at once.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CallBuffers
{
    [ThreadStatic]
    private static float[]?[]? t_free;

    /// <summary>An array of at least <paramref name="length"/> floats (its contents undefined), from this thread's free list or new.</summary>
    /// <param name="length">Floats needed; not negative.</param>
    public static float[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        float[]?[] free = t_free ??= new float[]?[4];
        int best = -1;
        for (int i = 0; i < free.Length; i++)
        {
            if (free[i] is { } a && a.Length >= length && (best < 0 || a.Length < free[best]!.Length))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            return new float[Math.Max(1, length)];
        }

        float[] taken = free[best]!;
        free[best] = null;
        return taken;
    }

    /// <summary>Puts <paramref name="array"/> (from <see cref="Rent"/>) on this thread's free list.</summary>
    /// <param name="array">The array; the caller no longer uses it.</param>
    public static void Return(float[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        float[]?[] free = t_free ??= new float[]?[4];
        for (int i = 0; i < free.Length; i++)
        {
            if (free[i] is null)
            {
                free[i] = array;
                return;
            }
        }

        float[]?[] grown = new float[]?[free.Length * 2];
        free.CopyTo(grown, 0);
        grown[free.Length] = array;
        t_free = grown;
    }

    /// <summary>Sets every element of <paramref name="values"/> to <paramref name="value"/>.</summary>
    /// <param name="values">The elements.</param>
    /// <param name="value">The value.</param>
    public static void Fill(Span<float> values, float value)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = value;
        }
    }
}
