namespace Cortex1.Model.Tokenization;

/// <summary>GPT-2's byte↔unicode map: byte-level BPE vocabularies spell each byte as one printable character.</summary>
public static class ByteLevel
{
    public static readonly char[] ByteToChar;
    static readonly Dictionary<char, byte> CharToByte = [];

    static ByteLevel()
    {
        ByteToChar = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            ByteToChar[b] = printable ? (char)b : (char)(256 + n++);
            CharToByte[ByteToChar[b]] = (byte)b;
        }
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Vocabulary string → raw bytes; null when it is not a byte-level string.</summary>
    public static byte[]? Decode(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out var b)) return null;
            bytes[i] = b;
        }
        return bytes;
    }
}
