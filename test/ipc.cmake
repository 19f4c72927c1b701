# ipc: codec and frames, channels and fd passing, fuzzing, 50 MB streaming,
# the request client and server.
posthorn_gtest(ipc_test)
posthorn_gtest(ipc_channel_test)
posthorn_gtest(ipc_fuzz_test)
posthorn_gtest(ipc_stream_test)
posthorn_gtest(ipc_request_client_test)
posthorn_gtest(ipc_request_server_test)
