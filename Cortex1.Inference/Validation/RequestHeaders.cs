namespace Cortex1.Inference.Validation;

/// <summary>
/// The request-header limit, enforced here rather than by Kestrel so that an oversized header (a 1 MB
/// Authorization, say) gets OpenAI's error object with its 431, where Kestrel answers with an empty body.
/// Kestrel keeps a higher ceiling (<see cref="KestrelCeilingBytes"/>) that bounds memory per connection;
/// only headers past that ceiling still get Kestrel's bare 431.
/// </summary>
public static class RequestHeaders
{
    /// <summary>Kestrel's own default, what clients expect a server to take.</summary>
    public const int MaxBytes = 32 * 1024;

    public const int KestrelCeilingBytes = 2 * 1024 * 1024;

    /// <summary>Throws a 431 when the headers (names, values and separators, as on the wire) exceed <see cref="MaxBytes"/>.</summary>
    public static void Check(HttpRequest request)
    {
        long size = 0;
        foreach (var (name, values) in request.Headers)
            foreach (var value in values)
                size += name.Length + (value?.Length ?? 0) + 4; // ": " and CRLF
        if (size > MaxBytes) throw ApiException.HeadersTooLarge(size, MaxBytes);
    }
}
