using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>
/// Softmax cross-entropy on class logits, as PyTorch's <c>nn.CrossEntropyLoss</c> (mean reduction,
/// optional class weights and label smoothing), plus argmax accuracy.
/// Logits are row-major <c>[batchSize, classes]</c>; labels are class indices.
/// </summary>
/// <remarks>
/// PyTorch's <c>ignore_index</c> (-100) is not supported: every label must be a class index.
/// NaN and infinite logits propagate to the loss and that row's gradient as they do in PyTorch.
/// </remarks>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Mean cross-entropy loss over the batch, computed stably (each row shifted by its maximum,
    /// sums in double); optionally writes its gradient with respect to the logits,
    /// (softmax − onehot) / batchSize, into <paramref name="logitsGradient"/>.
    /// </summary>
    /// <param name="logits">Row-major <c>[batchSize, classes]</c>; classes = <c>logits.Length / batchSize</c>.</param>
    /// <param name="labels">One class index in [0, classes) per sample.</param>
    /// <param name="batchSize">Number of samples, at least 1.</param>
    /// <param name="logitsGradient">Same length as <paramref name="logits"/> (overwritten), or empty to skip the gradient.</param>
    /// <returns>The mean loss.</returns>
    /// <exception cref="ArgumentException">
    /// A length, the batch size or a label is invalid; the message names the argument, the
    /// expected and the actual value. Nothing is written then.
    /// </exception>
    public static float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize, Span<float> logitsGradient) =>
        Compute(logits, labels, batchSize, logitsGradient, ReadOnlySpan<float>.Empty, 0f);

    /// <summary>
    /// As <c>nn.CrossEntropyLoss(weight, label_smoothing)</c> with mean reduction: with class weights
    /// w, smoothing ε, C classes and log-softmax ℓ, the loss is
    /// <c>Σₙ [(1 − ε)·w[yₙ]·(−ℓ[n, yₙ]) + (ε/C)·Σ_c w[c]·(−ℓ[n, c])] / Σₙ w[yₙ]</c>
    /// (PyTorch's weighted mean: both terms divided by the summed weights of the labels). Its gradient
    /// is written into <paramref name="logitsGradient"/> unless that is empty.
    /// </summary>
    /// <param name="logits">Row-major <c>[batchSize, classes]</c>.</param>
    /// <param name="labels">One class index in [0, classes) per sample.</param>
    /// <param name="batchSize">Number of samples, at least 1.</param>
    /// <param name="logitsGradient">Same length as <paramref name="logits"/> (overwritten), or empty.</param>
    /// <param name="classWeights">Empty (all 1), or one finite weight ≥ 0 per class with Σ w[yₙ] &gt; 0.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <returns>The mean loss.</returns>
    /// <exception cref="ArgumentException">An argument is invalid; the message names it, the expected and the actual value. Nothing is written then.</exception>
    public static float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize, Span<float> logitsGradient, ReadOnlySpan<float> classWeights, float labelSmoothing)
    {
        int classes = Validate(logits, labels, batchSize);
        LossChecks.GradientLength(logitsGradient, logits.Length, nameof(logitsGradient), nameof(logits));
        double totalWeight = LossChecks.ClassWeights(classWeights, labels, classes);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, Invariant($"labelSmoothing must be in [0, 1], got {labelSmoothing}."));
        }

        double keep = 1.0 - labelSmoothing, spread = (double)labelSmoothing / classes;
        double weightSum = 0;
        for (int c = 0; c < classes; c++)
        {
            weightSum += Weight(classWeights, c);
        }

        double invTotal = 1.0 / totalWeight;
        double total = 0;

        // Each row's exponentials, taken once for the sum and reused by the gradient (the same values: one exp per logit, not two).
        Span<double> exps = classes <= MaxStackClasses ? stackalloc double[classes] : new double[classes];
        for (int n = 0; n < batchSize; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            int label = labels[n];
            double labelWeight = Weight(classWeights, label);

            // Shift by the row maximum so no exp overflows; a NaN anywhere makes the sum NaN.
            double max = row[0];
            for (int j = 1; j < row.Length; j++)
            {
                if (row[j] > max)
                {
                    max = row[j];
                }
            }

            double sum = 0;
            for (int j = 0; j < row.Length; j++)
            {
                exps[j] = Math.Exp(row[j] - max);
                sum += exps[j];
            }

            double logSum = Math.Log(sum);
            double rowLoss = keep * labelWeight * (logSum - (row[label] - max));
            if (spread != 0)
            {
                // −Σ_c w[c]·ℓ[n, c]; each −ℓ is finite (≤ the logit range), so ±1e4 logits stay finite.
                double smooth = 0;
                for (int c = 0; c < classes; c++)
                {
                    smooth += Weight(classWeights, c) * (logSum - (row[c] - max));
                }

                rowLoss += spread * smooth;
            }

            total += rowLoss;
            if (!logitsGradient.IsEmpty)
            {
                // d/dz_j: (1 − ε)·w_y·(p_j − δ_yj) + (ε/C)·(Σ_c w_c · p_j − w_j), over Σ w[yₙ].
                Span<float> gradient = logitsGradient.Slice(n * classes, classes);
                double invSum = 1.0 / sum;
                for (int j = 0; j < row.Length; j++)
                {
                    double softmax = exps[j] * invSum;
                    double g = keep * labelWeight * (j == label ? softmax - 1.0 : softmax);
                    if (spread != 0)
                    {
                        g += spread * ((weightSum * softmax) - Weight(classWeights, j));
                    }

                    gradient[j] = (float)(g * invTotal);
                }
            }
        }

        return (float)(total * invTotal);
    }

    // Classes whose exponentials fit on the stack (8 KB); more take one array a call.
    private const int MaxStackClasses = 1024;

    private static double Weight(ReadOnlySpan<float> classWeights, int c) => classWeights.IsEmpty ? 1.0 : classWeights[c];

    /// <summary>
    /// Index of the largest value; the first one on ties, and the first NaN if there is one
    /// (as <c>torch.argmax</c>, which treats NaN as the maximum).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="row"/> is empty.</exception>
    public static int Argmax(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty)
        {
            throw new ArgumentException("row must hold at least one value, got an empty span.", nameof(row));
        }

        int best = 0;
        float max = row[0];
        if (float.IsNaN(max))
        {
            return 0;
        }

        for (int j = 1; j < row.Length; j++)
        {
            float v = row[j];
            if (float.IsNaN(v))
            {
                return j;
            }

            if (v > max)
            {
                max = v;
                best = j;
            }
        }

        return best;
    }

    /// <summary>Fraction of samples whose <see cref="Argmax"/> equals the label, in [0, 1].</summary>
    /// <param name="logits">Row-major <c>[batchSize, classes]</c>.</param>
    /// <param name="labels">One class index in [0, classes) per sample.</param>
    /// <param name="batchSize">Number of samples, at least 1.</param>
    /// <exception cref="ArgumentException">A length, the batch size or a label is invalid, as for <see cref="Compute(ReadOnlySpan{float}, ReadOnlySpan{int}, int, Span{float})"/>.</exception>
    public static float Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize)
    {
        int classes = Validate(logits, labels, batchSize);
        int correct = 0;
        for (int n = 0; n < batchSize; n++)
        {
            if (Argmax(logits.Slice(n * classes, classes)) == labels[n])
            {
                correct++;
            }
        }

        return (float)correct / batchSize;
    }

    /// <summary>Checks every argument and returns the class count.</summary>
    internal static int Validate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, Invariant($"batchSize must be at least 1, got {batchSize}."));
        }

        if (logits.Length < batchSize || logits.Length % batchSize != 0)
        {
            throw new ArgumentException(Invariant($"logits length must be batchSize × classes, a positive multiple of batchSize ({batchSize}), got {logits.Length}."), nameof(logits));
        }

        if (labels.Length != batchSize)
        {
            throw new ArgumentException(Invariant($"labels length must equal batchSize ({batchSize}), got {labels.Length}."), nameof(labels));
        }

        int classes = logits.Length / batchSize;
        for (int n = 0; n < labels.Length; n++)
        {
            if ((uint)labels[n] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), labels[n], Invariant($"labels[{n}] must be a class index in [0, {classes}) (classes = {logits.Length} logits / {batchSize} samples), got {labels[n]}."));
            }
        }

        return classes;
    }
}
