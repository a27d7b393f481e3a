using System;

namespace FusedOps.Samples.Shapes;

/// <summary>
/// A synthetic image data set, generated in code so the sample needs no download: 16×16
/// single-channel images of a filled square, a filled circle, a horizontal bar or a cross, at
/// random positions and sizes, with random brightness and noise. The same seed gives the same images.
/// </summary>
internal sealed class ShapesDataset
{
    public const int Side = 16;
    public const int PixelsPerImage = Side * Side;

    public static readonly string[] ClassNames = ["square", "circle", "bar", "cross"];

    private ShapesDataset(int count)
    {
        Count = count;
        Images = new float[count * PixelsPerImage];
        Labels = new int[count];
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Pixels, row-major [Count, 1, 16, 16]: the NCHW layout the model takes.</summary>
    public float[] Images { get; }

    /// <summary>Class index of each image, into <see cref="ClassNames"/>.</summary>
    public int[] Labels { get; }

    /// <summary>Draws <paramref name="count"/> images, the classes in equal numbers.</summary>
    public static ShapesDataset Generate(int count, int seed)
    {
        var data = new ShapesDataset(count);
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int label = i % ClassNames.Length;
            data.Labels[i] = label;
            Draw(random, label, data.Images.AsSpan(i * PixelsPerImage, PixelsPerImage));
        }

        return data;
    }

    /// <summary>Copies the images and labels at <paramref name="indices"/> into one mini-batch.</summary>
    public void Gather(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            Images.AsSpan(indices[i] * PixelsPerImage, PixelsPerImage).CopyTo(images.Slice(i * PixelsPerImage, PixelsPerImage));
            labels[i] = Labels[indices[i]];
        }
    }

    private static void Draw(Random random, int label, Span<float> image)
    {
        float brightness = 0.6f + (0.4f * random.NextSingle());
        switch (label)
        {
            case 0: // filled square, side 4..8
            {
                int size = random.Next(4, 9);
                int x0 = random.Next(0, Side - size + 1), y0 = random.Next(0, Side - size + 1);
                FillRect(image, x0, y0, size, size, brightness);
                break;
            }

            case 1: // filled circle, radius 2.5..4.5
            {
                float r = 2.5f + (2f * random.NextSingle());
                float cx = r + ((Side - 1 - (2 * r)) * random.NextSingle());
                float cy = r + ((Side - 1 - (2 * r)) * random.NextSingle());
                for (int y = 0; y < Side; y++)
                {
                    for (int x = 0; x < Side; x++)
                    {
                        if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= r * r)
                        {
                            image[(y * Side) + x] = brightness;
                        }
                    }
                }

                break;
            }

            case 2: // horizontal bar, 8..14 wide, 2..3 high
            {
                int width = random.Next(8, 15), height = random.Next(2, 4);
                FillRect(image, random.Next(0, Side - width + 1), random.Next(0, Side - height + 1), width, height, brightness);
                break;
            }

            default: // cross ("+"), arms 2..4 long, 1..2 thick
            {
                int arm = random.Next(2, 5), thick = random.Next(1, 3);
                int span = (2 * arm) + thick;
                int x0 = random.Next(0, Side - span + 1), y0 = random.Next(0, Side - span + 1);
                FillRect(image, x0 + arm, y0, thick, span, brightness);
                FillRect(image, x0, y0 + arm, span, thick, brightness);
                break;
            }
        }

        // Uniform noise in [-0.2, 0.2] on every pixel, shape and background alike.
        for (int p = 0; p < image.Length; p++)
        {
            image[p] += 0.4f * (random.NextSingle() - 0.5f);
        }
    }

    private static void FillRect(Span<float> image, int x0, int y0, int width, int height, float value)
    {
        for (int y = y0; y < y0 + height; y++)
        {
            image.Slice((y * Side) + x0, width).Fill(value);
        }
    }
}
