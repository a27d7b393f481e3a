using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>
/// Softmax cross-entropy on class logits, as PyTorch's <c>nn.CrossEntropyLoss()</c> with its
/// defaults (mean over the batch, no label smoothing, no class weights), plus argmax accuracy.
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
    public static float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize, Span<float> logitsGradient)
    {
        int classes = Validate(logits, labels, batchSize);
        if (!logitsGradient.IsEmpty && logitsGradient.Length != logits.Length)
        {
            throw new ArgumentException(Invariant($"logitsGradient must be empty or as long as logits ({logits.Length}), got {logitsGradient.Length}."), nameof(logitsGradient));
        }

        double invBatch = 1.0 / batchSize;
        double total = 0;
        for (int n = 0; n < batchSize; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            int label = labels[n];

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
                sum += Math.Exp(row[j] - max);
            }

            total += Math.Log(sum) - (row[label] - max);

            if (!logitsGradient.IsEmpty)
            {
                Span<float> gradient = logitsGradient.Slice(n * classes, classes);
                double invSum = 1.0 / sum;
                for (int j = 0; j < row.Length; j++)
                {
                    double softmax = Math.Exp(row[j] - max) * invSum;
                    gradient[j] = (float)((j == label ? softmax - 1.0 : softmax) * invBatch);
                }
            }
        }

        return (float)(total * invBatch);
    }

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
    /// <exception cref="ArgumentException">A length, the batch size or a label is invalid, as for <see cref="Compute"/>.</exception>
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
    private static int Validate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize)
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
