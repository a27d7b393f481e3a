using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// Inverted dropout for the generated training pass, and the per-step random stream that Dropout and
/// RReLU draw from. Forward draws one <see cref="InitRandom.NextSingle"/> per element, row-major over
/// the batch, keeps the element when the draw is at least p and scales it by 1/(1 − p); the factor
/// (0 or 1/(1 − p)) is kept for Backward. Inference is the identity.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Dropout
{
    /// <summary>
    /// The training stream of forward number <paramref name="step"/> of a model seeded with
    /// <paramref name="seed"/>: a SplitMix64 hash of (seed, step) seeds an <see cref="InitRandom"/>, so
    /// the masks of a step depend only on the seed and the step, as the reference interpreter's.
    /// </summary>
    /// <param name="seed">The model's seed.</param>
    /// <param name="step">How many training forwards ran before this one.</param>
    /// <returns>The stream the step's layers draw from, in pipeline order.</returns>
    public static InitRandom Stream(int seed, int step) => new(StreamSeed(seed, step));

    /// <summary>
    /// <see cref="Stream"/> without allocating: <paramref name="random"/>, restarted as the stream of forward number
    /// <paramref name="step"/>, or a new stream when it is null (a model's first training forward).
    /// </summary>
    /// <param name="random">The stream of the previous step, or null.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="step">How many training forwards ran before this one.</param>
    /// <returns>The stream the step's layers draw from, the same draws as <see cref="Stream"/>'s.</returns>
    public static InitRandom Restart(InitRandom? random, int seed, int step)
    {
        if (random is null)
        {
            return Stream(seed, step);
        }

        random.Reset(StreamSeed(seed, step));
        return random;
    }

    private static int StreamSeed(int seed, int step)
    {
        ulong z = (((ulong)(uint)seed << 32) | (uint)step) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((int)(z ^ (z >> 31)));
    }

    /// <summary>y = x·factor with factor = (draw ≥ p ? 1/(1 − p) : 0), saved in <paramref name="factor"/>; y may alias x.</summary>
    /// <param name="x">The input, <paramref name="count"/> values.</param>
    /// <param name="y">The output.</param>
    /// <param name="factor">Receives each element's factor, for Backward.</param>
    /// <param name="count">Elements of the whole batch.</param>
    /// <param name="p">The drop probability, in [0, 1).</param>
    /// <param name="random">The step's stream (<see cref="Stream"/>).</param>
    public static void Forward(ref float x, ref float y, ref float factor, int count, float p, InitRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        float keep = (float)(1.0 / (1.0 - p));
        for (int i = 0; i < count; i++)
        {
            // As in PyTorch (input · mask), a dropped NaN stays NaN.
            float f = random.NextSingle() >= p ? keep : 0f;
            Unsafe.Add(ref factor, i) = f;
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * f;
        }
    }

    /// <summary>dx = dy·factor, elementwise over <paramref name="count"/> values.</summary>
    /// <param name="dy">The output gradient.</param>
    /// <param name="factor">The factors Forward saved.</param>
    /// <param name="dx">The input gradient; may alias <paramref name="dy"/>.</param>
    /// <param name="count">Elements of the whole batch.</param>
    public static void Backward(ref float dy, ref float factor, ref float dx, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Unsafe.Add(ref dx, i) = Unsafe.Add(ref dy, i) * Unsafe.Add(ref factor, i);
        }
    }
}
