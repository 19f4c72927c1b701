"""dkim_keys - DKIM keys and their DNS records for the mailauth tests (not a test).

    pem, pub = rsa_key(2048)                 # openssl: PEM private key, base64 DER public key
    zone += key_record("s1", pub)            # 's1._domainkey TXT "v=DKIM1; k=rsa; p=..."'
    zone += key_record("ed", edpub, "ed25519")
    dkimpy_verifies(message, nsd.port)      # dkimpy's verdict, keys from NSD
    dkimpy_results(message, nsd.port)       # [(a=, d=, s=, passed)] per signature
    dkim_signatures(message, dnsfunc)       # [(tags, passed)], keys from any dnsfunc
    txt_lookup(nsd.port)                    # a dnsfunc for dkimpy asking NSD (also for arc_verify)
"""
import base64
import subprocess


def rsa_key(bits=2048):
    """(PEM private key as dkimpy takes it, base64 DER public key)."""
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem,
                         capture_output=True, check=True).stdout
    return pem, base64.b64encode(der).decode()


def txt(value):
    """A TXT record's data in strings of at most 250 bytes (one string may not exceed 255)."""
    return " ".join(f'"{value[i:i + 250]}"' for i in range(0, len(value), 250))


def key_record(selector, public_key, kind="rsa"):
    """The zone-file line that publishes a key under SELECTOR._domainkey."""
    return f"{selector}._domainkey TXT {txt(f'v=DKIM1; k={kind}; p={public_key}')}\n"


def txt_lookup(port):
    """dkimpy's dnsfunc, asking the DNS server on 127.0.0.1:port."""
    import dns.resolver
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.lifetime = 3

    def lookup(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        try:
            answer = resolver.resolve(name, "TXT", search=False)
        except Exception:
            return None
        for rdata in answer:
            return b"".join(rdata.strings)
        return None
    return lookup


def dkimpy_verifies(message, port):
    """dkimpy's verdict on the first signature of message, asking the DNS
    server on 127.0.0.1:port for the keys (python3-dkim, python3-dnspython)."""
    import dkim
    lookup = txt_lookup(port)
    return dkim.verify(message, dnsfunc=lookup)


def dkim_signatures(message, dnsfunc):
    """dkimpy's verdict on each DKIM-Signature of message, top first, keys
    from dnsfunc(name): [(tags as {str: str}, passed)]."""
    import dkim
    d = dkim.DKIM(message)

    def verified(i):
        try:
            return bool(d.verify(idx=i, dnsfunc=dnsfunc))
        except dkim.ValidationError:  # a body hash mismatch is raised, not returned
            return False
    out = []
    for i, (name, value) in enumerate(h for h in d.headers if h[0].lower() == b"dkim-signature"):
        tags = dkim.util.parse_tag_value(b"".join(value.split()))
        out.append(({k.decode(): v.decode() for k, v in tags.items()}, verified(i)))
    return out


def dkimpy_results(message, port):
    """dkim_signatures with the keys from NSD on 127.0.0.1:port, as
    [(a= algorithm, d=, s=, passed)]."""
    return [(t["a"], t["d"], t["s"], ok) for t, ok in dkim_signatures(message, txt_lookup(port))]
