import subprocess, time
subprocess.run(['sysctl', '-qw', 'net.core.xfrm_acq_expires=1'])
R.request(allocspi(src='1.1.1.1', dst='2.2.2.2', min=0x2345, max=0x2345, reqid=4, mode='tunnel', if_id=3), step='good:allocspi_ifid')
R.listen_only(3.0, step='good:expire_larval')
