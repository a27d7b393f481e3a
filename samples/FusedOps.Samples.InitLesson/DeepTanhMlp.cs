using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps;
using FusedOps.Data;
using FusedOps.Reference;
using FusedOps.Training;

namespace FusedOps.Samples.InitLesson;

/// <summary>Mean, standard deviation and saturated fraction of one layer's activations.</summary>
internal sealed record LayerStatistics(int Layer, double Mean, double StandardDeviation, double Saturated);

/// <summary>
/// Linear(hidden)+Tanh blocks then a Linear(classes) head, each block its own reference model, chained
/// by hand: Forward block by block, Backward in reverse passing input gradients.
/// </summary>
internal sealed class DeepTanhMlp
{
    private readonly ReferenceModel[] _blocks;
    private readonly int _hidden;

    public DeepTanhMlp(int inputs, int hidden, int depth, int classes)
    {
        _hidden = hidden;
        var blocks = new List<ReferenceModel>();
        for (int k = 0; k < depth; k++)
        {
            blocks.Add(ReferenceModel.FromDeclaration($"[FusedPipeline({(k == 0 ? inputs : hidden)})]\n[Linear({hidden})]\n[Tanh]", seed: k));
        }

        blocks.Add(ReferenceModel.FromDeclaration($"[FusedPipeline({hidden})]\n[Linear({classes})]", seed: depth));
        _blocks = [.. blocks];
    }

    /// <summary>Fills every block's weight from <paramref name="initializer"/> (seeded per block) and zeroes the biases.</summary>
    public void InitialiseWeights(Initializer initializer)
    {
        for (int k = 0; k < _blocks.Length; k++)
        {
            initializer.ApplyToWeights(_blocks[k].Parameters, seed: k);
            Array.Clear(_blocks[k].Parameters["0.bias"].Data);
        }
    }

    /// <summary>Statistics of every tanh layer's output on the first <paramref name="count"/> images.</summary>
    public LayerStatistics[] Statistics(ImageDataset data, int count)
    {
        Minibatch batch = new MinibatchLoader(data, count, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: false).Epoch().First();
        float[] x = batch.Inputs.ToArray();
        var result = new List<LayerStatistics>();
        for (int k = 0; k < _blocks.Length - 1; k++)
        {
            float[] y = new float[count * _hidden];
            _blocks[k].Infer(x, y, count);
            double mean = y.Average(v => (double)v);
            double std = Math.Sqrt(y.Average(v => ((double)v - mean) * (v - mean)));
            result.Add(new LayerStatistics(k + 1, mean, std, y.Count(v => Math.Abs(v) > 0.99f) / (double)y.Length));
            x = y;
        }

        return [.. result];
    }

    /// <summary>One epoch of plain SGD, then test accuracy; returns the epoch's mean loss.</summary>
    public (double Loss, double Accuracy) TrainAndTest(ImageDataset train, ImageDataset test, float learningRate, int batchSize)
    {
        Sgd[] optimizers = _blocks.Select(b => new Sgd(b.Parameters, learningRate)).ToArray();
        var activations = new float[_blocks.Length + 1][];
        double lossSum = 0;
        int batches = 0;
        foreach (Minibatch batch in new MinibatchLoader(train, batchSize, FashionMnist.Mean, FashionMnist.StandardDeviation, seed: 1).Epoch())
        {
            int n = batch.Size;
            activations[0] = batch.Inputs.ToArray();
            for (int k = 0; k < _blocks.Length; k++)
            {
                activations[k + 1] = new float[n * _blocks[k].OutputLength];
                _blocks[k].Forward(activations[k], activations[k + 1], n);
            }

            float[] gradient = new float[activations[^1].Length];
            lossSum += SoftmaxCrossEntropy.Compute(activations[^1], batch.Labels, n, gradient);
            batches++;
            for (int k = _blocks.Length - 1; k >= 0; k--)
            {
                float[] inputGradient = k == 0 ? [] : new float[activations[k].Length];
                _blocks[k].ZeroGrad();
                _blocks[k].Backward(gradient, inputGradient);
                optimizers[k].Step();
                gradient = inputGradient;
            }
        }

        return (lossSum / batches, Trainer.Evaluate(new Chain(_blocks), new MinibatchLoader(test, 500, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: false)));
    }

    /// <summary>The blocks as one inference model.</summary>
    private sealed class Chain(ReferenceModel[] blocks) : IInferenceModel
    {
        public int InputLength => blocks[0].InputLength;

        public int OutputLength => blocks[^1].OutputLength;

        public void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize)
        {
            float[] x = input.ToArray();
            foreach (ReferenceModel block in blocks)
            {
                float[] y = new float[batchSize * block.OutputLength];
                block.Infer(x, y, batchSize);
                x = y;
            }

            x.CopyTo(output);
        }
    }
}
