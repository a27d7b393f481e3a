using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using FusedOps.Data;
using FusedOps.Serialization;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>
/// A small training loop for any <see cref="IFusedModel"/> classifier: per batch Forward, loss with
/// fused gradient, ZeroGrad, Backward, optional clipping, optimiser step; per epoch the schedule,
/// validation accuracy through <see cref="IInferenceModel.Infer"/>, early stopping, a checkpoint of
/// the best model, and an <see cref="EpochReport"/> to <see cref="Progress"/>. It writes nothing to
/// the console: the caller decides how to show progress.
/// </summary>
/// <param name="model">The model to train.</param>
/// <param name="optimizer">An optimiser over the model's parameters.</param>
public sealed class Trainer(IFusedModel model, Optimizer optimizer)
{
    /// <summary>The model being trained.</summary>
    public IFusedModel Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; } = optimizer ?? throw new ArgumentNullException(nameof(optimizer));

    /// <summary>The loss; softmax cross-entropy unless set.</summary>
    public ClassificationLoss Loss { get; init; } = SoftmaxCrossEntropy.Compute;

    /// <summary>Stepped once after each epoch, when set.</summary>
    public LearningRateScheduler? Schedule { get; init; }

    /// <summary>Clip the gradients' total 2-norm to this before each step (<see cref="GradientClipping.ClipNorm"/>), when set.</summary>
    public float? MaxGradientNorm { get; init; }

    /// <summary>Stop after this many epochs without a better validation accuracy; 0 (default) never stops early.</summary>
    public int Patience { get; init; }

    /// <summary>
    /// When set, the model's state (<see cref="StateDict"/>) is saved here whenever validation accuracy
    /// improves (every epoch without validation), and the optimiser's state next to it as
    /// <c>{name}.optimizer.safetensors</c>, so training can resume.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Receives one report per epoch.</summary>
    public IProgress<EpochReport>? Progress { get; init; }

    /// <summary>Receives a report after every batch (for a live progress bar).</summary>
    public IProgress<BatchProgress>? BatchProgress { get; init; }

    /// <summary>Trains for up to <paramref name="epochs"/> epochs.</summary>
    /// <param name="train">Training batches (shuffled, augmented as configured).</param>
    /// <param name="epochs">At least 1.</param>
    /// <param name="validation">Validation batches, or null to skip validation (and early stopping).</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public TrainingResult Fit(MinibatchLoader train, int epochs, MinibatchLoader? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, Invariant($"epochs must be at least 1, got {epochs}."));
        }

        CheckFits(train, nameof(train));
        if (validation is not null)
        {
            CheckFits(validation, nameof(validation));
        }

        var reports = new List<EpochReport>();
        var total = Stopwatch.StartNew();
        double best = double.NegativeInfinity;
        int bestEpoch = 0, sinceBest = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            float learningRate = Optimizer.LearningRate;
            (double loss, double accuracy, int images) = TrainEpoch(train, epoch, cancellationToken);
            double imagesPerSecond = images / clock.Elapsed.TotalSeconds;
            // Validation through the frozen model (BatchNorm folded once per epoch) rather than Infer's per-call unfolded model.
            double? validationAccuracy = validation is null ? null : Evaluate(Model.Freeze(), validation);
            Schedule?.Step();

            double score = validationAccuracy ?? epoch;
            bool improved = score > best;
            if (improved)
            {
                (best, bestEpoch, sinceBest) = (score, epoch, 0);
                SaveCheckpoint();
            }
            else
            {
                sinceBest++;
            }

            TimeSpan remaining = total.Elapsed / epoch * (epochs - epoch);
            var report = new EpochReport(epoch, epochs, loss, accuracy, validationAccuracy, imagesPerSecond, clock.Elapsed, remaining, learningRate, improved);
            reports.Add(report);
            Progress?.Report(report);
            if (validation is not null && Patience > 0 && sinceBest >= Patience && epoch < epochs)
            {
                return new TrainingResult(reports, bestEpoch, best, StoppedEarly: true);
            }
        }

        return new TrainingResult(reports, bestEpoch, validation is null ? null : best, StoppedEarly: false);
    }

    /// <summary>Inference-mode accuracy of <see cref="Model"/> on every batch of <paramref name="data"/>.</summary>
    public double Evaluate(MinibatchLoader data) => Evaluate(Model, data);

    /// <summary>Accuracy of any inference model (e.g. a frozen one) on every batch of <paramref name="data"/>.</summary>
    public static double Evaluate(IInferenceModel model, MinibatchLoader data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        float[] logits = ArrayPool<float>.Shared.Rent(data.BatchSize * model.OutputLength);
        try
        {
            long correct = 0, seen = 0;
            foreach (Minibatch batch in data.Epoch())
            {
                Span<float> output = logits.AsSpan(0, batch.Size * model.OutputLength);
                model.Infer(batch.Inputs, output, batch.Size);
                correct += (long)Math.Round(SoftmaxCrossEntropy.Accuracy(output, batch.Labels, batch.Size) * (double)batch.Size);
                seen += batch.Size;
            }

            return seen == 0 ? 0 : (double)correct / seen;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    private (double Loss, double Accuracy, int Images) TrainEpoch(MinibatchLoader train, int epoch, CancellationToken cancellationToken)
    {
        int outputs = Model.OutputLength;
        float[] logits = new float[train.BatchSize * outputs], gradient = new float[logits.Length];
        double lossSum = 0, correct = 0;
        int batches = 0, images = 0;
        foreach (Minibatch batch in train.Epoch())
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = batch.Size;
            Span<float> output = logits.AsSpan(0, n * outputs), outputGradient = gradient.AsSpan(0, n * outputs);
            Model.Forward(batch.Inputs, output, n);
            lossSum += Loss(output, batch.Labels, n, outputGradient);
            correct += SoftmaxCrossEntropy.Accuracy(output, batch.Labels, n) * (double)n;
            Model.ZeroGrad();
            Model.Backward(outputGradient, Span<float>.Empty);
            if (MaxGradientNorm is float maxNorm)
            {
                GradientClipping.ClipNorm(Model.Parameters, maxNorm);
            }

            Optimizer.Step();
            batches++;
            images += n;
            BatchProgress?.Report(new BatchProgress(epoch, batches, train.BatchesPerEpoch, lossSum / batches));
        }

        return (lossSum / Math.Max(batches, 1), correct / Math.Max(images, 1), images);
    }

    private void SaveCheckpoint()
    {
        if (CheckpointPath is null)
        {
            return;
        }

        StateDict.Save(Model, CheckpointPath);
        Optimizer.SaveState(OptimizerCheckpointPath(CheckpointPath));
    }

    /// <summary>Where <see cref="CheckpointPath"/>'s optimiser state goes: <c>model.safetensors</c> → <c>model.optimizer.safetensors</c>.</summary>
    public static string OptimizerCheckpointPath(string checkpointPath)
    {
        ArgumentNullException.ThrowIfNull(checkpointPath);
        return Path.ChangeExtension(checkpointPath, ".optimizer.safetensors");
    }

    private void CheckFits(MinibatchLoader loader, string name)
    {
        if (loader.InputLength != Model.InputLength)
        {
            throw new ArgumentException(Invariant($"{name}: images of {loader.InputLength} values do not fit the model's input of {Model.InputLength}."), name);
        }
    }
}
